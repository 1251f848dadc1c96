//! The processor side: per record, claim the event, run the [`handler`]s the router picks,
//! complete it or retry it on the [`retry`] schedule. Built-in [`handlers`] and the seed
//! providers' typed [`payloads`] live here too.

pub mod handler;
pub mod handlers;
pub mod payloads;
pub mod processor;
pub mod retry;
