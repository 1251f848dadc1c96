//! A stand-in for the [`crc-fast`](https://crates.io/crates/crc-fast) crate, patched in for the
//! whole workspace (`[patch.crates-io]` in the top `Cargo.toml`). Its only user here is
//! `aws-smithy-checksums` (the S3 client's request and response checksums), which calls
//! [`Digest::new`], [`Digest::update`], [`Digest::finalize`] and, in its tests, [`checksum`],
//! for three algorithms: CRC-32 (S3's default, the one hookwell's objects carry), CRC-32C and
//! CRC-64/NVME.
//!
//! Why: crc-fast 1.10's software fallback selects its lookup table by a runtime `match` over
//! all 30-odd CRC variants it supports, so every one of those tables (16 per variant, 650 KB in
//! all) is linked into any binary that computes any CRC, on top of the SIMD code. Here no CRC
//! is computed by hand: CRC-32 is `crc32fast` (SIMD when the CPU has PCLMULQDQ, as every Lambda
//! x86_64 and arm64 host does), CRC-32C and CRC-64/NVME are the `crc` crate's catalogue
//! algorithms with slice-by-16 tables built at compile time (20 KB), used only when a caller
//! picks those algorithms. This file only maps crc-fast's API onto them.
//!
//! The API mirrors crc-fast's for those calls; if a new `aws-smithy-checksums` calls something
//! else, the build fails here rather than silently linking the real crate. `make size` catches
//! the other way this can go stale (a crc-fast 2.x requirement leaves this patch unused: cargo
//! warns "patch ... was not used" and the binaries grow back).

/// The CRC variants this stand-in computes (crc-fast has many more).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrcAlgorithm {
    /// CRC-32/ISO-HDLC, the zlib/Ethernet CRC-32 (S3 `x-amz-checksum-crc32`).
    Crc32IsoHdlc,
    /// CRC-32/ISCSI, CRC-32C (S3 `x-amz-checksum-crc32c`).
    Crc32Iscsi,
    /// CRC-64/NVME (S3 `x-amz-checksum-crc64nvme`).
    Crc64Nvme,
}

/// A running CRC; [`Digest::finalize`] gives the value so far without consuming it.
#[derive(Debug, Clone)]
pub struct Digest {
    state: State,
}

static CRC32C: crc::Crc<u32, crc::Table<16>> =
    crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISCSI);
static CRC64_NVME: crc::Crc<u64, crc::Table<16>> =
    crc::Crc::<u64, crc::Table<16>>::new(&crc::CRC_64_NVME);

#[derive(Clone)]
enum State {
    Crc32(crc32fast::Hasher),
    Crc32c(crc::Digest<'static, u32, crc::Table<16>>),
    Crc64Nvme(crc::Digest<'static, u64, crc::Table<16>>),
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Crc32(_) => "Crc32",
            Self::Crc32c(_) => "Crc32c",
            Self::Crc64Nvme(_) => "Crc64Nvme",
        })
    }
}

impl Digest {
    /// An empty digest of `algorithm`.
    pub fn new(algorithm: CrcAlgorithm) -> Self {
        let state = match algorithm {
            CrcAlgorithm::Crc32IsoHdlc => State::Crc32(crc32fast::Hasher::new()),
            CrcAlgorithm::Crc32Iscsi => State::Crc32c(CRC32C.digest()),
            CrcAlgorithm::Crc64Nvme => State::Crc64Nvme(CRC64_NVME.digest()),
        };
        Self { state }
    }

    /// Adds `data`.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Crc32(h) => h.update(data),
            State::Crc32c(d) => d.update(data),
            State::Crc64Nvme(d) => d.update(data),
        }
    }

    /// The CRC of everything added so far (a 32-bit CRC in the low half).
    pub fn finalize(&self) -> u64 {
        match &self.state {
            State::Crc32(h) => u64::from(h.clone().finalize()),
            State::Crc32c(d) => u64::from(d.clone().finalize()),
            State::Crc64Nvme(d) => d.clone().finalize(),
        }
    }

    /// Back to empty, same algorithm.
    pub fn reset(&mut self) {
        match &mut self.state {
            State::Crc32(h) => h.reset(),
            State::Crc32c(d) => *d = CRC32C.digest(),
            State::Crc64Nvme(d) => *d = CRC64_NVME.digest(),
        }
    }

    /// [`Digest::finalize`], then [`Digest::reset`].
    pub fn finalize_reset(&mut self) -> u64 {
        let crc = self.finalize();
        self.reset();
        crc
    }
}

/// The CRC of `data` in one call.
pub fn checksum(algorithm: CrcAlgorithm, data: &[u8]) -> u64 {
    let mut digest = Digest::new(algorithm);
    digest.update(data);
    digest.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [CrcAlgorithm; 3] = [
        CrcAlgorithm::Crc32IsoHdlc,
        CrcAlgorithm::Crc32Iscsi,
        CrcAlgorithm::Crc64Nvme,
    ];

    /// Bit at a time, straight from each algorithm's parameters: the reference.
    fn bitwise(algorithm: CrcAlgorithm, data: &[u8]) -> u64 {
        let (poly, mask): (u64, u64) = match algorithm {
            CrcAlgorithm::Crc32IsoHdlc => (u64::from(0x04C1_1DB7_u32.reverse_bits()), 0xFFFF_FFFF),
            CrcAlgorithm::Crc32Iscsi => (u64::from(0x1EDC_6F41_u32.reverse_bits()), 0xFFFF_FFFF),
            CrcAlgorithm::Crc64Nvme => (0xAD93_D235_94C9_3659_u64.reverse_bits(), u64::MAX),
        };
        let mut crc = mask;
        for &byte in data {
            crc ^= u64::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ poly
                } else {
                    crc >> 1
                };
            }
        }
        !crc & mask
    }

    #[test]
    fn the_catalogued_check_values() {
        // "check" in the CRC catalogue (reveng): the CRC of the ASCII digits 1 to 9.
        assert_eq!(
            checksum(CrcAlgorithm::Crc32IsoHdlc, b"123456789"),
            0xCBF4_3926
        );
        assert_eq!(
            checksum(CrcAlgorithm::Crc32Iscsi, b"123456789"),
            0xE306_9283
        );
        assert_eq!(
            checksum(CrcAlgorithm::Crc64Nvme, b"123456789"),
            0xAE8B_1486_0A79_9888
        );
        for algorithm in ALL {
            assert_eq!(checksum(algorithm, b""), 0, "{algorithm:?} of nothing");
        }
    }

    #[test]
    fn every_length_and_split_matches_the_bitwise_reference() {
        let data: Vec<u8> = (0..1000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for algorithm in ALL {
            for len in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 255, 1000] {
                let part = data.get(..len).unwrap_or_default();
                let want = bitwise(algorithm, part);
                assert_eq!(
                    checksum(algorithm, part),
                    want,
                    "{algorithm:?}, {len} bytes"
                );
                for split in [1, 3, 8, len / 2] {
                    let (a, b) = part.split_at(split.min(len));
                    let mut d = Digest::new(algorithm);
                    d.update(a);
                    d.update(b);
                    assert_eq!(
                        d.finalize(),
                        want,
                        "{algorithm:?}, {len} bytes split at {split}"
                    );
                }
            }
        }
    }

    #[test]
    fn finalize_does_not_consume_and_reset_starts_over() {
        for algorithm in ALL {
            let mut d = Digest::new(algorithm);
            d.update(b"12345");
            let _ = d.finalize();
            d.update(b"6789");
            assert_eq!(d.finalize(), checksum(algorithm, b"123456789"));
            assert_eq!(d.finalize_reset(), checksum(algorithm, b"123456789"));
            d.update(b"abc");
            assert_eq!(d.finalize(), checksum(algorithm, b"abc"));
        }
    }
}
