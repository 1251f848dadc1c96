//! Step 1-3 of ingest: is this delivery really from its provider, and which event is it?
//!
//! A delivery starts [`delivery::Unverified`]; only its source's [`scheme`] check turns it
//! into [`delivery::Verified`] (signatures compared in constant time against every active
//! [`secret`]), and only a verified delivery yields the [`delivery::AcceptedEvent`]s the queue
//! takes, each identified by [`identity`]: the provider's own id, else the SHA-256 of the
//! event's bytes, never a few fields two events could share.

pub mod delivery;
pub mod identity;
mod jsonpick;
pub mod platform;
pub mod scheme;
pub mod secret;
