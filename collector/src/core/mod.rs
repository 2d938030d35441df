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
