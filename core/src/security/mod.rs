//! Cryptographic building blocks: digests and the server secret, password hashing off the
//! async runtime. Pure: nothing here touches storage.

pub mod crypto;
pub mod passwords;
