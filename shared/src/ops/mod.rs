//! What operators and developers run beside the pipeline: [`replay`] from the dead-letter
//! queue, [`redeliver`] an event from what its record kept, the [`local`] stack's resources,
//! and the providers' [`samples`].

#[cfg(feature = "aws")]
pub mod local;
#[cfg(feature = "aws")]
pub mod redeliver;
#[cfg(feature = "aws")]
pub mod replay;
pub mod samples;
