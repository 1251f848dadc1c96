//! The chat platforms' schemes that are not an HMAC of the body: Telegram's secret token in a
//! header and Discord's Ed25519 signature. Zoom's `v0` HMAC shares Slack's code in the parent.

use super::{any_secret, decode_hex, single_header, token_matches, KeyError, SignatureError};
use crate::delivery::Unverified;
use crate::secret::Secret;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair as _, UnparsedPublicKey, ED25519};

const SIGNATURE: &str = "x-signature-ed25519";
const TIMESTAMP: &str = "x-signature-timestamp";

pub(super) fn verify_header_token(
    header: &str,
    secrets: &[Secret],
    parts: Unverified<'_>,
) -> Result<usize, SignatureError> {
    token_matches(secrets, single_header(parts.headers, header)?)
}

/// An application public key: 32 bytes written as 64 hex digits, as Discord's developer
/// portal shows it.
pub(super) fn public_key(secret: &Secret) -> Result<[u8; 32], KeyError> {
    let bytes = hex::decode(secret.expose().trim())
        .map_err(|_| KeyError("an Ed25519 public key is 64 hex digits".into()))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| KeyError("an Ed25519 public key is 64 hex digits".into()))
}

pub(super) fn verify_ed25519(
    secrets: &[Secret],
    parts: Unverified<'_>,
) -> Result<usize, SignatureError> {
    let sig = single_header(parts.headers, SIGNATURE)?;
    // The timestamp is signed with the body; Discord documents no window for it, so none is
    // enforced (a replayed interaction has the id of the one already received).
    let ts = single_header(parts.headers, TIMESTAMP)?;
    let sig = decode_hex(sig, || "header X-Signature-Ed25519".into())?;
    if sig.len() != 64 {
        return Err(SignatureError::Malformed(
            "header X-Signature-Ed25519".into(),
        ));
    }
    let mut message = Vec::with_capacity(ts.len() + parts.body.len());
    message.extend_from_slice(ts.as_bytes());
    message.extend_from_slice(parts.body);
    any_secret(secrets, |key| {
        public_key(key).is_ok_and(|pk| {
            UnparsedPublicKey::new(&ED25519, pk)
                .verify(&message, &sig)
                .is_ok()
        })
    })
}

/// The key pair of a 32-byte seed written as 64 hex digits (a source's `signing_key`).
pub fn key_pair(seed: &Secret) -> Result<Ed25519KeyPair, KeyError> {
    let seed = hex::decode(seed.expose().trim())
        .map_err(|_| KeyError("an Ed25519 signing key is a 64-hex-digit seed".into()))?;
    Ed25519KeyPair::from_seed_unchecked(&seed)
        .map_err(|_| KeyError("an Ed25519 signing key is a 64-hex-digit seed".into()))
}

/// The public key (hex) of a signing key: what the source's `secrets` must hold.
pub fn public_key_hex(seed: &Secret) -> Result<String, KeyError> {
    Ok(hex::encode(key_pair(seed)?.public_key().as_ref()))
}

pub(super) fn sign_ed25519(
    seed: &Secret,
    body: &[u8],
    now: i64,
) -> Result<Vec<(String, String)>, KeyError> {
    let pair = key_pair(seed)?;
    let ts = now.to_string();
    let mut message = ts.clone().into_bytes();
    message.extend_from_slice(body);
    let sig = pair.sign(&message);
    Ok(vec![
        ("X-Signature-Ed25519".into(), hex::encode(sig.as_ref())),
        ("X-Signature-Timestamp".into(), ts),
    ])
}
