//! Cryptographic and abuse-resistance building blocks: digests and the server secret,
//! password hashing off the async runtime, the in-memory rate limiter. Nothing here touches
//! storage.

pub mod crypto;
pub mod passwords;
pub mod rate_limit;
