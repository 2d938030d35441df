//! Which address is the client's: the socket peer, or an entry of `X-Forwarded-For` when the
//! collector runs behind trusted proxies (an ALB appends the address it saw to the right end).
//! Only the entries added by our own proxies can be trusted; anything to their left was sent by
//! the client and may be forged.

use std::net::IpAddr;

/// The client address given the socket peer, the `X-Forwarded-For` header values (in order),
/// and the number of trusted proxy hops in front of the collector.
///
/// With `hops = n`, the n-th entry from the right is the address our outermost proxy saw. If
/// the header has fewer entries (a misconfiguration or a direct connection), or the entry does
/// not parse, the socket peer is used.
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], hops: usize) -> IpAddr {
    if hops == 0 {
        return peer;
    }
    let entries: Vec<&str> = forwarded_for
        .iter()
        .flat_map(|h| h.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if entries.len() < hops {
        return peer;
    }
    parse_entry(entries[entries.len() - hops]).unwrap_or(peer)
}

/// Parses `1.2.3.4`, `1.2.3.4:567`, `2001:db8::1` or `[2001:db8::1]:567`.
fn parse_entry(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse() {
        return Some(ip);
    }
    if let Some(rest) = s.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok());
    }
    s.rsplit_once(':').and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_entry_our_outermost_proxy_saw() {
        let peer: IpAddr = "10.0.0.9".parse().unwrap();
        // (headers, hops, expected, why)
        let cases: &[(&[&str], usize, &str, &str)] = &[
            (
                &["1.1.1.1"],
                0,
                "10.0.0.9",
                "no trusted proxy: the socket peer",
            ),
            (&["1.1.1.1"], 1, "1.1.1.1", "one ALB: its appended entry"),
            (
                &["6.6.6.6, 1.1.1.1"],
                1,
                "1.1.1.1",
                "a forged entry on the left is ignored",
            ),
            (
                &["6.6.6.6", "1.1.1.1"],
                1,
                "1.1.1.1",
                "several header lines are one list",
            ),
            (
                &["1.1.1.1, 10.0.0.2"],
                2,
                "1.1.1.1",
                "CloudFront then ALB: second from the right",
            ),
            (
                &["1.1.1.1"],
                2,
                "10.0.0.9",
                "fewer entries than hops: the peer",
            ),
            (&[], 1, "10.0.0.9", "no header: the peer"),
            (&["garbage"], 1, "10.0.0.9", "unparseable entry: the peer"),
            (&["2001:db8::1"], 1, "2001:db8::1", "IPv6"),
            (&["[2001:db8::1]:443"], 1, "2001:db8::1", "IPv6 with port"),
            (&["1.1.1.1:8080"], 1, "1.1.1.1", "IPv4 with port"),
            (
                &[" 1.1.1.1 ,  "],
                1,
                "1.1.1.1",
                "whitespace and empty entries",
            ),
        ];
        for (headers, hops, want, why) in cases {
            assert_eq!(client_ip(peer, headers, *hops).to_string(), *want, "{why}");
        }
    }
}
