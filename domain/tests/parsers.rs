//! Property tests of every parser of outside input the domain holds: secrets, imported
//! secrets, network ranges, dates, email addresses, rate limits, and the list views (filters
//! and cursors) that travel in URLs. Each parser takes any string without panicking, and what
//! it accepts reads back to itself. `CASES` generated inputs per property.

use domain::key_listing::KeyQuery;
use domain::network::{Allowlist, TrustedProxies};
use domain::paging::QueryParams;
use domain::secret::{self, KeyId, KeyKind};
use proptest::prelude::*;

const CASES: u32 = 2_000;

/// Any string, weighted towards the characters the parsers care about.
fn input() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,80}",
        "[0-9a-fA-F:./ ,\n-]{0,60}",
        "kw_(svc|agt)_[0-9A-Za-z]{0,10}_[0-9A-Za-z_ ]{0,50}",
        "[a-z=&%0-9._-]{0,80}",
    ]
}

fn base62(len: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop::sample::select(
            b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".to_vec(),
        ),
        len,
    )
    .prop_map(|b| String::from_utf8(b).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn secrets_parse_anything_and_accept_only_their_shape(s in input()) {
        if let Ok(parts) = secret::parse(&s) {
            prop_assert_eq!(s.len(), secret::SECRET_LEN);
            let head = format!("kw_{}_{}_", parts.kind.tag(), parts.key_id);
            prop_assert!(s.starts_with(&head));
        }
    }

    #[test]
    fn an_assembled_secret_reads_back_and_any_one_changed_character_is_refused(
        id in base62(secret::KEY_ID_LEN),
        random in base62(secret::RANDOM_LEN),
        agent in any::<bool>(),
        at in 0usize..secret::SECRET_LEN,
        to in base62(1),
    ) {
        let kind = if agent { KeyKind::Agent } else { KeyKind::Service };
        let key_id = KeyId::parse(&id).unwrap();
        let whole = secret::assemble(kind, &key_id, &random);
        let parts = secret::parse(&whole).unwrap();
        prop_assert_eq!((parts.kind, parts.key_id.as_str()), (kind, id.as_str()));
        let mut changed = whole.clone().into_bytes();
        prop_assume!(changed[at] != to.as_bytes()[0]);
        changed[at] = to.as_bytes()[0];
        let changed = String::from_utf8(changed).unwrap();
        prop_assert!(secret::parse(&changed).is_err(), "{} accepted", changed);
    }

    #[test]
    fn imports_take_anything_and_refuse_what_repeats(s in input(), unit in "[ -~]{1,4}") {
        let bits = domain::import::estimated_bits(&s);
        prop_assert!(bits >= 0.0 && bits.is_finite());
        if domain::import::check(&s).is_ok() {
            prop_assert!(domain::import::has_shape(&s));
        }
        // However long, a repeated short unit carries what the unit carries, not more.
        let repeated = unit.repeat(256 / unit.len());
        prop_assert!(domain::import::check(&repeated).is_err(), "{} accepted", repeated);
    }

    #[test]
    fn network_ranges_parse_anything_and_read_back(s in input()) {
        if let Ok(list) = Allowlist::parse(&s) {
            prop_assert_eq!(Allowlist::from_storage(&list.to_storage()), list.clone());
            prop_assert_eq!(Allowlist::parse(&list.ranges().join("\n")).unwrap(), list);
        }
        let _ = TrustedProxies::parse(s.split(','));
    }

    #[test]
    fn a_range_holds_exactly_the_addresses_under_its_mask(
        net in any::<u32>(), prefix in 8u8..=32, ip in any::<u32>(),
    ) {
        let network = std::net::Ipv4Addr::from(net);
        let list = Allowlist::parse(&format!("{network}/{prefix}")).unwrap();
        let mask = u32::MAX.checked_shl(u32::from(32 - prefix)).unwrap_or(0);
        let inside = (ip & mask) == (net & mask);
        prop_assert_eq!(list.allows(std::net::Ipv4Addr::from(ip).into()), inside);
    }

    #[test]
    fn dates_parse_anything_and_read_back(s in input(), y in 1970i64..=9999, m in 1u32..=12, d in 1u32..=31) {
        let _ = domain::dates::parse_date_end_of_day(&s);
        let day = format!("{y:04}-{m:02}-{d:02}");
        if let Some(end) = domain::dates::parse_date_end_of_day(&day) {
            prop_assert_eq!(domain::dates::format_date(end), day);
            prop_assert_eq!(end.rem_euclid(86_400), 86_399);
        } else {
            prop_assert!(d > 28, "{} refused", day);
        }
    }

    #[test]
    fn email_addresses_parse_anything_and_read_back(s in input()) {
        if let Ok(email) = domain::validate::Email::parse(&s) {
            let again = domain::validate::Email::parse(email.as_str()).unwrap();
            prop_assert_eq!(again.as_str(), email.as_str());
        }
    }

    #[test]
    fn rate_limits_read_back_from_storage(s in input(), cells in proptest::collection::vec(proptest::option::of(1u32..=100_000), 9)) {
        let _ = domain::limits::Limits::from_storage(60, &s);
        let mut limits = domain::limits::Limits::per_key(cells[0].unwrap_or(60));
        let all = domain::limits::Pool::ALL
            .into_iter()
            .flat_map(|p| domain::limits::LimitClass::ALL.map(|c| (p, c)));
        for ((pool, class), n) in all.zip(&cells).skip(1) {
            limits.set(pool, class, *n);
        }
        let key_default = i64::from(limits.get(domain::limits::Pool::Key, domain::limits::LimitClass::Default).unwrap());
        prop_assert_eq!(domain::limits::Limits::from_storage(key_default, &limits.to_storage()), limits);
    }

    #[test]
    fn key_list_views_parse_any_query_and_their_links_read_back(s in input()) {
        let params = QueryParams::parse(&s);
        if let Ok(view) = KeyQuery::from_params(|n| params.get(n)) {
            let link = view.href(&[]);
            let again = QueryParams::parse(link.split_once('?').map_or("", |(_, q)| q));
            prop_assert_eq!(KeyQuery::from_params(|n| again.get(n)).unwrap(), view);
        }
    }

    #[test]
    fn audit_views_parse_any_query_and_their_links_read_back(s in input()) {
        let params = QueryParams::parse(&s);
        if let Ok(view) = domain::audit::AuditQuery::from_params(|n| params.get(n)) {
            let link = view.href("/settings/audit", &[]);
            let again = QueryParams::parse(link.split_once('?').map_or("", |(_, q)| q));
            prop_assert_eq!(domain::audit::AuditQuery::from_params(|n| again.get(n)).unwrap(), view);
        }
    }

    #[test]
    fn access_review_views_parse_any_query_and_their_links_read_back(s in input()) {
        if let Ok(view) = domain::access_review::ReviewQuery::parse(&s) {
            let link = view.href();
            let again = domain::access_review::ReviewQuery::parse(link.split_once('?').map_or("", |(_, q)| q));
            prop_assert_eq!(again.unwrap(), view);
        }
    }
}
