//! A value that is replaced whole (on a configuration reload) while readers keep the version
//! they took: the sources in ingest, the routes in the processor.

use std::sync::{Arc, RwLock};

#[derive(Debug, Default)]
pub struct Swap<T>(RwLock<Arc<T>>);

impl<T> Swap<T> {
    pub fn new(value: T) -> Self {
        Self(RwLock::new(Arc::new(value)))
    }

    /// The current version: a cheap handle, unaffected by later replacements.
    pub fn current(&self) -> Arc<T> {
        // A writer cannot panic holding the lock (it only swaps a pointer); poisoning is
        // recovered rather than propagated all the same.
        match self.0.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn replace(&self, value: T) {
        let value = Arc::new(value);
        match self.0.write() {
            Ok(mut g) => *g = value,
            Err(poisoned) => *poisoned.into_inner() = value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_keep_their_version() {
        let s = Swap::new(1);
        let before = s.current();
        s.replace(2);
        assert_eq!((*before, *s.current()), (1, 2));
    }
}
