//! What the machine API costs a caller, measured from outside the process as a user would:
//! an external load generator (`wrk`) against the served binary's routes, side by side with
//! a bare axum route (a tiny router with no layers, on the same runtime and allocator, in the
//! same process) as the true baseline. The same cells also run with in-process clients.
//!
//! Cells: the bare route, `GET /healthz`, `GET /readyz`, `GET /api/v1/me` with a valid key
//! (counted against its key's rate limit only), the same with a secret whose checksum is wrong
//! (refused before any lookup), and with a key counted in three rate limit pools (key,
//! application, workspace; limits too high to refuse), reported against the one-pool cell.
//! Beside them, the bare router gives again, byte for byte but for `Date`, the answers of
//! `/healthz`, `/me` and the refusal (captured once at start): each of those cells is also
//! reported against its "same answer" twin, which separates what an answer must carry (its
//! headers and body) from what producing it costs. Rounds alternate the cells so a noisy
//! neighbour touches all alike; the report gives medians of requests per second, p99 latency
//! and server CPU per answer (from `/proc/self/stat`: the load generator is another process,
//! so everything this process spends is the server's), each against the bare route and
//! against `/healthz`. Finally it checks the access log holds one row per authenticated
//! request.
//!
//! Run: `.ci/bench wire` (installs wrk), or `cargo bench -p server --bench wire` with wrk on
//! PATH. Optional: `KEYWARD_BENCH_SECONDS=3`, `KEYWARD_BENCH_ROUNDS=5`,
//! `KEYWARD_BENCH_CONCURRENCY=32`, `KEYWARD_BENCH_THREADS=2` (wrk's), `DATABASE_URL=postgres://…`.
//! `KEYWARD_BENCH_LOG=1` logs as a deployment does (info, the request log included), to a sink,
//! to show what the log lines cost.
//! To profile one cell: `KEYWARD_BENCH_CELL=5` (its row number, from 0) runs only that cell,
//! from outside, which `perf record` can then watch alone.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A key of a workspace of its own, scoped to an application, whose requests count in three
/// rate limit pools (key, application, workspace), each too large to refuse.
async fn three_pool_key(bench: &common::Bench) -> String {
    use domain::validate::Name;
    use keyward_core::services::workspaces;
    let db = &bench.state.db;
    let owner = bench.owner_principal();
    let ws = workspaces::create_workspace(db, &owner, Name::parse("Name", "Pools").unwrap())
        .await
        .unwrap();
    let by = domain::access::Principal::member(owner.user, ws, owner.role.unwrap(), "bench".into());
    let app = workspaces::create_application(db, &by, Name::parse("Name", "pooled").unwrap())
        .await
        .unwrap();
    sqlx::query(
        "UPDATE workspaces SET allow_never_expiring = 1, \
         rate_limits = 'application.default=100000000 workspace.default=100000000' WHERE id = $1",
    )
    .bind(ws.to_string())
    .execute(db.pool())
    .await
    .unwrap();
    let new = keyward_core::services::keys::NewKey {
        application: Some(app),
        permissions: domain::permissions::PermissionSet::from_storage("applications:read"),
        ..common::bench_key()
    };
    let secret = keyward_core::services::keys::create(db, &bench.state.secret, &by, new)
        .await
        .unwrap()
        .expose()
        .to_string();
    sqlx::query("UPDATE api_keys SET rate_limit_per_minute = 100000000")
        .execute(db.pool())
        .await
        .unwrap();
    secret
}

/// One measured run of one cell.
#[derive(Clone, Copy, Default)]
struct Sample {
    per_second: f64,
    p99_ms: f64,
    cpu_us_per_answer: f64,
    answers: u64,
}

/// This process's CPU time so far (user + system), in seconds.
fn cpu_seconds(ticks_per_second: f64) -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("/proc/self/stat");
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')').expect("a command name") + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / ticks_per_second
}

fn ticks_per_second() -> f64 {
    let out = Command::new("getconf").arg("CLK_TCK").output();
    out.ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// A wrk duration such as `812.00us`, `1.20ms` or `2.00s`, in milliseconds.
fn millis(text: &str) -> f64 {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        _ => f64::NAN,
    }
}

/// One route under load: where, with which credential, and whether it is meant to be refused.
struct Cell {
    name: &'static str,
    url: String,
    token: Option<String>,
    refused: bool,
    /// The row of the bare route that gives this cell's answer again, if one does.
    twin: Option<usize>,
}

/// An answer of one of Keyward's routes, kept to be given again by the bare router. Its
/// parts are static, as Keyward's own constant headers are: a shared buffer or an `Arc` would
/// add a reference count, touched by every worker, that no real answer pays.
struct Captured {
    status: axum::http::StatusCode,
    headers: Vec<(axum::http::HeaderName, axum::http::HeaderValue)>,
    body: &'static [u8],
}

/// Asks `url` once, with `token`, and keeps the answer; but `Date` and the framing headers,
/// which the server writes for every answer anyway. Says what it kept, as `what`.
async fn capture(what: &str, url: &str, token: Option<&str>) -> Captured {
    use axum::http::{HeaderName, HeaderValue};
    let leak = |bytes: &[u8]| -> &'static [u8] { Box::leak(bytes.to_vec().into_boxed_slice()) };
    let mut req = reqwest::Client::new().get(url);
    if let Some(token) = token {
        req = req.header("x-keyward-api-token", token);
    }
    let res = req.send().await.expect("an answer to capture");
    let status = res.status();
    let headers: Vec<(HeaderName, HeaderValue)> = res
        .headers()
        .iter()
        .filter(|(name, _)| {
            !["date", "content-length", "transfer-encoding", "connection"].contains(&name.as_str())
        })
        .map(|(name, value)| {
            let name = std::str::from_utf8(leak(name.as_str().as_bytes())).unwrap();
            let value = std::str::from_utf8(leak(value.as_bytes())).unwrap();
            (
                HeaderName::from_static(name),
                HeaderValue::from_static(value),
            )
        })
        .collect();
    let body = leak(&res.bytes().await.expect("a body to capture"));
    let header_bytes: usize = headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    println!(
        "{what}, given again by a bare route: {status}, {} headers ({header_bytes} B) besides Date and Content-Length, a {} B body",
        headers.len(),
        body.len()
    );
    Captured {
        status,
        headers,
        body,
    }
}

/// A bare route that gives `answer` again: no layers, the header map built per request as
/// any route's is.
fn twin(answer: Captured) -> axum::routing::MethodRouter {
    let answer: &'static Captured = Box::leak(Box::new(answer));
    axum::routing::get(move || async move {
        let mut res = axum::response::Response::new(axum::body::Body::from(answer.body));
        *res.status_mut() = answer.status;
        let h = res.headers_mut();
        h.reserve(answer.headers.len());
        for (name, value) in answer.headers.iter() {
            h.append(name.clone(), value.clone());
        }
        res
    })
}

/// Runs wrk against a cell and reads requests per second, p99 and the answer count.
fn wrk(cell: &Cell, seconds: u64, threads: usize, connections: usize) -> Sample {
    let mut cmd = Command::new("wrk");
    cmd.args([
        "--latency",
        "-t",
        &threads.to_string(),
        "-c",
        &connections.to_string(),
        "-d",
        &format!("{seconds}s"),
    ]);
    if let Some(token) = &cell.token {
        cmd.args(["-H", &format!("X-Keyward-Api-Token: {token}")]);
    }
    let out = cmd.arg(&cell.url).output().expect(
        "wrk runs (install it with `apt-get install wrk`, or run the benchmark as `.ci/bench wire`)",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "wrk failed: {text}");
    assert_eq!(
        text.contains("Non-2xx"),
        cell.refused,
        "{}: unexpected answers: {text}",
        cell.name
    );
    let mut sample = Sample::default();
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Requests/sec:") {
            sample.per_second = rest.trim().parse().unwrap();
        } else if let Some(rest) = line.strip_prefix("99%") {
            sample.p99_ms = millis(rest.trim());
        } else if line.contains(" requests in ") {
            sample.answers = line.split_whitespace().next().unwrap().parse().unwrap();
        }
    }
    assert!(sample.answers > 0, "wrk answered nothing: {text}");
    sample
}

/// The same cell with `connections` in-process clients (reqwest, one runtime with the server).
async fn in_process(cell: &Cell, seconds: u64, connections: usize) -> Sample {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .build()
        .unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (client, url, done) = (client.clone(), cell.url.clone(), done.clone());
        let (token, refused) = (cell.token.clone(), cell.refused);
        tasks.push(tokio::spawn(async move {
            let mut slowest = Vec::new();
            while Instant::now() < deadline {
                let mut req = client.get(&url);
                if let Some(token) = &token {
                    req = req.header("x-keyward-api-token", token);
                }
                let sent = Instant::now();
                let res = req.send().await.expect("an answer");
                assert_eq!(res.status().is_success(), !refused, "{url}");
                let _ = res.bytes().await;
                slowest.push(sent.elapsed());
                done.fetch_add(1, Ordering::Relaxed);
            }
            slowest
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    latencies.sort_unstable();
    let answers = done.load(Ordering::Relaxed);
    Sample {
        per_second: answers as f64 / started.elapsed().as_secs_f64(),
        p99_ms: latencies[latencies.len() * 99 / 100].as_secs_f64() * 1000.0,
        cpu_us_per_answer: f64::NAN,
        answers,
    }
}

fn medians(samples: &[Vec<Sample>]) -> Vec<Sample> {
    samples
        .iter()
        .map(|s| Sample {
            per_second: common::median(s.iter().map(|x| x.per_second).collect()),
            p99_ms: common::median(s.iter().map(|x| x.p99_ms).collect()),
            cpu_us_per_answer: common::median(s.iter().map(|x| x.cpu_us_per_answer).collect()),
            answers: s.iter().map(|x| x.answers).sum(),
        })
        .collect()
}

fn report(title: &str, cells: &[Cell], m: &[Sample]) {
    let (bare, healthz) = (m[0], m[HEALTHZ]);
    println!("{title}");
    println!(
        "  {:<36} {:>9} {:>6} {:>8} {:>7} {:>8} {:>8} {:>7} {:>8} {:>8}",
        "cell",
        "req/s",
        "/bare",
        "/healthz",
        "/answer",
        "p99 ms",
        "p99/bare",
        "CPU µs",
        "CPU/bare",
        "CPU/ans."
    );
    let against_twin = |cell: &Cell, of: fn(&Sample) -> f64, s: &Sample| match cell.twin {
        Some(t) => format!("{:.2}", of(s) / of(&m[t])),
        None => "-".into(),
    };
    for (cell, s) in cells.iter().zip(m) {
        println!(
            "  {:<36} {:>9.0} {:>6.2} {:>8.2} {:>7} {:>8.3} {:>8.2} {:>7.1} {:>8.2} {:>8}",
            cell.name,
            s.per_second,
            s.per_second / bare.per_second,
            s.per_second / healthz.per_second,
            against_twin(cell, |s| s.per_second, s),
            s.p99_ms,
            s.p99_ms / bare.p99_ms,
            s.cpu_us_per_answer,
            s.cpu_us_per_answer / bare.cpu_us_per_answer,
            against_twin(cell, |s| s.cpu_us_per_answer, s),
        );
    }
}

/// The rows of the report that others are read against.
const HEALTHZ: usize = 2;
const ME: usize = 5;
const THREE_POOLS: usize = 8;
/// The cells whose answers are recorded in the access log.
const AUTHENTICATED: [usize; 2] = [ME, THREE_POOLS];

fn main() {
    let seconds: u64 = common::env_or("KEYWARD_BENCH_SECONDS", 3);
    let rounds: usize = common::env_or("KEYWARD_BENCH_ROUNDS", 5);
    let connections: usize = common::env_or("KEYWARD_BENCH_CONCURRENCY", 32);
    let threads: usize = common::env_or("KEYWARD_BENCH_THREADS", 2);
    if std::env::var("KEYWARD_BENCH_LOG").is_ok_and(|v| v == "1") {
        tracing_subscriber::fmt()
            .with_env_filter("info,sqlx=warn")
            .with_writer(std::io::sink)
            .init();
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let bench = runtime.block_on(common::Bench::start());
    let pooled = runtime.block_on(three_pool_key(&bench));
    let base = bench.base.clone();
    // The same secret with its last checksum character changed: well formed, refused unread.
    let mut bad = bench.secret.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == 'A' { 'B' } else { 'A' });
    let me = format!("{base}/api/v1/me");
    // The baseline: the same runtime and allocator, no layers at all; beside it, bare routes
    // giving Keyward's answers again.
    let bare_addr = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let bare = axum::Router::new()
            .route("/", axum::routing::get(|| async { "ok" }))
            .route(
                "/healthz",
                twin(capture("GET /healthz", &format!("{base}/healthz"), None).await),
            )
            .route(
                "/me",
                twin(capture("GET /api/v1/me", &me, Some(&bench.secret)).await),
            )
            .route(
                "/refused",
                twin(capture("The refusal of a wrong checksum", &me, Some(&bad)).await),
            );
        tokio::spawn(async move { axum::serve(listener, bare).await.unwrap() });
        addr
    });
    let cell = |name, url: String, token: Option<&str>, refused, twin| Cell {
        name,
        url,
        token: token.map(str::to_string),
        refused,
        twin,
    };
    let bare = |path: &str| format!("http://{bare_addr}{path}");
    let cells = [
        cell("bare axum route", bare("/"), None, false, None),
        cell(
            "bare route, /healthz's answer",
            bare("/healthz"),
            None,
            false,
            None,
        ),
        cell(
            "GET /healthz",
            format!("{base}/healthz"),
            None,
            false,
            Some(1),
        ),
        // Its answer is /healthz's but for a three bytes longer body.
        cell(
            "GET /readyz",
            format!("{base}/readyz"),
            None,
            false,
            Some(1),
        ),
        cell("bare route, /me's answer", bare("/me"), None, false, None),
        cell(
            "GET /api/v1/me (valid key)",
            me.clone(),
            Some(&bench.secret),
            false,
            Some(4),
        ),
        cell(
            "bare route, the refusal's answer",
            bare("/refused"),
            None,
            true,
            None,
        ),
        cell(
            "GET /api/v1/me (wrong checksum)",
            me.clone(),
            Some(&bad),
            true,
            Some(6),
        ),
        cell(
            "GET /api/v1/me (three pools)",
            me.clone(),
            Some(&pooled),
            false,
            None,
        ),
    ];
    assert_eq!(cells[HEALTHZ].name, "GET /healthz");
    assert_eq!(cells[ME].name, "GET /api/v1/me (valid key)");
    assert_eq!(cells[THREE_POOLS].name, "GET /api/v1/me (three pools)");
    let ticks = ticks_per_second();
    let db = bench.state.db.clone();

    // Warm every path, then settle the access log.
    for c in &cells {
        wrk(c, 1, threads, connections);
    }
    let before = runtime.block_on(common::settle(&db));
    let mut recorded = 0u64;

    if let Ok(only) = std::env::var("KEYWARD_BENCH_CELL") {
        let c = &cells[only.parse::<usize>().expect("a cell number")];
        let s = wrk(c, seconds * rounds as u64, threads, connections);
        println!(
            "{}: {:.0} req/s, p99 {:.3} ms",
            c.name, s.per_second, s.p99_ms
        );
        return;
    }
    let mut external: Vec<Vec<Sample>> = vec![Vec::new(); cells.len()];
    let mut internal: Vec<Vec<Sample>> = vec![Vec::new(); cells.len()];
    for _ in 0..rounds {
        for (i, c) in cells.iter().enumerate() {
            let cpu = cpu_seconds(ticks);
            let mut s = wrk(c, seconds, threads, connections);
            if AUTHENTICATED.contains(&i) {
                recorded += s.answers;
                // The bookkeeping of these answers is part of their cost: wait for it.
                runtime.block_on(common::settle(&db));
            }
            s.cpu_us_per_answer = (cpu_seconds(ticks) - cpu) * 1e6 / s.answers as f64;
            external[i].push(s);
        }
        for (i, c) in cells.iter().enumerate() {
            let s = runtime.block_on(in_process(c, seconds, connections));
            if AUTHENTICATED.contains(&i) {
                recorded += s.answers;
                runtime.block_on(common::settle(&db));
            }
            internal[i].push(s);
        }
    }
    let logged = runtime.block_on(common::settle(&db)) - before;
    println!(
        "Keyward wire benchmark ({:?}; {connections} connections, {rounds} alternating rounds × {seconds} s per cell, medians)",
        db.backend()
    );
    report(
        &format!("From outside (wrk, {threads} threads); CPU per answer is the server process's"),
        &cells,
        &medians(&external),
    );
    let m = medians(&external);
    println!(
        "  three pools against one (from outside): {:.3}x req/s, {:.3}x CPU per answer",
        m[THREE_POOLS].per_second / m[ME].per_second,
        m[THREE_POOLS].cpu_us_per_answer / m[ME].cpu_us_per_answer
    );
    report(
        "In process (reqwest clients on the server's runtime; CPU not separable)",
        &cells,
        &medians(&internal),
    );
    // wrk counts the answers it read before its time ran out; the server also answered (and
    // logged) what was in flight then, at most one request per connection and run.
    let in_flight = (connections * rounds * AUTHENTICATED.len()) as u64;
    println!(
        "  access log: {logged} rows for {recorded} authenticated requests counted by the clients \
         (up to {in_flight} more were in flight when wrk stopped)"
    );
    assert!(
        (recorded..=recorded + in_flight).contains(&(logged as u64)),
        "every authenticated request is in the access log, and nothing else"
    );
}
