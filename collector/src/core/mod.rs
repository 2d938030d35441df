//! The collector's pure core: request validation, client-IP resolution, batch splitting.
//! No tokio, no HTTP types, no AWS: table-driven tests below each module.

pub mod client_ip;
pub mod collect;
pub mod pixel;

/// The 43-byte transparent 1×1 GIF every pixel request is answered with.
pub const PIXEL_GIF: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// Why a request is refused at the edge: HTTP status and a short reason for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {reason}")]
pub struct Rejection {
    /// 400, 413, 414, 415 or 422.
    pub status: u16,
    /// One line, safe to show to the sender.
    pub reason: String,
}

impl Rejection {
    /// A rejection with `status` and `reason`.
    pub fn new(status: u16, reason: impl Into<String>) -> Self {
        Rejection {
            status,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn gif_is_a_complete_gif89a() {
        let g = super::PIXEL_GIF;
        assert_eq!(&g[..6], b"GIF89a");
        assert_eq!(g[42], 0x3b, "GIF trailer");
    }
}

#[cfg(test)]
mod fuzz {
    use super::collect::{framing, split_events, BodyLimits, Framing};
    use super::pixel::check_pixel;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Arbitrary bytes never panic the body parser, and every refusal has a 4xx and a reason.
        #[test]
        fn bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400), nd in any::<bool>()) {
            let f = if nd { Framing::NdJson } else { Framing::Json };
            if let Err(r) = split_events(&body, f, BodyLimits { max_events: 50 }) {
                prop_assert!((400..500).contains(&r.status));
                prop_assert!(!r.reason.is_empty());
            }
        }

        /// JSON-looking bodies (the interesting part of the space) never panic either.
        #[test]
        fn json_like_bodies_never_panic(body in r#"[\[\]{}",:0-9a-z\\ \n]{0,200}"#) {
            let _ = split_events(body.as_bytes(), Framing::Json, BodyLimits { max_events: 50 });
            let _ = split_events(body.as_bytes(), Framing::NdJson, BodyLimits { max_events: 50 });
        }

        /// Arbitrary query strings and content types never panic.
        #[test]
        fn queries_never_panic(q in r"[a-z=&%0-9A-F\x{80}-\x{10FFFF}]{0,200}", ct in ".{0,40}") {
            if let Err(r) = check_pixel(&q) {
                prop_assert!((400..500).contains(&r.status));
            }
            let _ = framing(Some(&ct));
        }
    }
}
