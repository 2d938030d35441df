//! Per-visitor device and network properties: screen, viewport, platform, memory and cores that
//! fit the user agent's device class; client clock error; plausible IP addresses per registry.

use super::regions::Registry;
use super::rng::{pick_weighted, Rng};
use super::ua::{DeviceClass, Engine, UserAgent};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What the tracker reads from `screen`, `window` and `navigator`.
#[derive(Debug, Clone, Copy)]
pub struct Device {
    /// `screen.width/height`.
    pub screen: (u16, u16),
    /// `innerWidth/innerHeight`.
    pub viewport: (u16, u16),
    /// `screen.pixelDepth`.
    pub depth: u8,
    /// `navigator.platform`.
    pub platform: &'static str,
    /// `navigator.deviceMemory` (Blink only).
    pub memory: Option<&'static str>,
    /// `navigator.hardwareConcurrency`.
    pub cores: u8,
}

#[rustfmt::skip]
const DESKTOP_SCREENS: &[((u16, u16), f64)] = &[
    ((1920, 1080), 0.35), ((1536, 864), 0.12), ((1366, 768), 0.10), ((2560, 1440), 0.10), ((1920, 1200), 0.05),
    ((1440, 900), 0.04), ((1600, 900), 0.04), ((3840, 2160), 0.04), ((1280, 720), 0.03), ((1680, 1050), 0.03),
    ((2560, 1080), 0.02), ((3440, 1440), 0.02), ((1280, 1024), 0.02),
];
#[rustfmt::skip]
const MAC_SCREENS: &[(u16, u16)] = &[(1440, 900), (1512, 982), (1728, 1117), (1680, 1050), (2560, 1440), (1920, 1080), (3440, 1440), (1470, 956)];
#[rustfmt::skip]
const ANDROID_SCREENS: &[(u16, u16)] = &[(412, 915), (360, 800), (393, 873), (384, 854), (412, 892), (360, 780), (393, 851), (411, 914), (384, 832), (412, 919)];
#[rustfmt::skip]
const TABLET_SCREENS: &[(u16, u16)] = &[(800, 1280), (1280, 800), (962, 601), (1138, 712), (753, 1205)];
#[rustfmt::skip]
const IPHONE_SCREENS: &[(u16, u16)] = &[(390, 844), (393, 852), (430, 932), (375, 812), (414, 896), (375, 667), (428, 926), (402, 874), (440, 956)];
#[rustfmt::skip]
const IPAD_SCREENS: &[(u16, u16)] = &[(810, 1080), (820, 1180), (1024, 1366), (834, 1194), (768, 1024)];

/// Device properties consistent with the device class of `ua`.
pub fn device(rng: &mut Rng, ua: &UserAgent) -> Device {
    use DeviceClass as D;
    let (screen, platform, depth, cores, mobile) = match ua.class {
        D::Windows => (
            pick_weighted(rng, DESKTOP_SCREENS),
            "Win32",
            24,
            *rng.pick(&[4, 8, 8, 12, 16, 6, 2, 20, 24]),
            false,
        ),
        D::Linux => (
            pick_weighted(rng, DESKTOP_SCREENS),
            "Linux x86_64",
            24,
            *rng.pick(&[4, 8, 12, 16, 32]),
            false,
        ),
        D::ChromeOs => (
            *rng.pick(&[(1366, 768), (1920, 1080), (1280, 800), (1536, 864)]),
            "Linux x86_64",
            24,
            *rng.pick(&[2, 4, 8]),
            false,
        ),
        D::Mac => {
            let s = *rng.pick(MAC_SCREENS);
            (
                s,
                "MacIntel",
                if rng.chance(0.7) { 30 } else { 24 },
                *rng.pick(&[8, 8, 10, 12, 4, 16]),
                false,
            )
        }
        D::AndroidPhone => {
            let s = *rng.pick(ANDROID_SCREENS);
            (
                s,
                if rng.chance(0.7) {
                    "Linux armv8l"
                } else {
                    "Linux aarch64"
                },
                24,
                *rng.pick(&[8, 8, 8, 8, 4, 6]),
                true,
            )
        }
        D::AndroidTablet => (*rng.pick(TABLET_SCREENS), "Linux armv8l", 24, 8, true),
        D::IPhone => (
            *rng.pick(IPHONE_SCREENS),
            "iPhone",
            24,
            *rng.pick(&[4, 6]),
            true,
        ),
        D::IPad => (
            *rng.pick(IPAD_SCREENS),
            "iPad",
            24,
            *rng.pick(&[4, 8]),
            true,
        ),
        D::Server => {
            let s = *rng.pick(&[(800, 600), (1920, 1080), (1280, 720)]);
            (
                s,
                if rng.chance(0.8) {
                    "Linux x86_64"
                } else {
                    "Win32"
                },
                24,
                *rng.pick(&[2, 4, 8]),
                false,
            )
        }
    };
    let (w, h): (u16, u16) = screen;
    let viewport = if mobile {
        (w, h.saturating_sub(rng.between(56, 180) as u16))
    } else if ua.class == D::Server || rng.chance(0.6) {
        // Maximised window: scrollbar and browser chrome.
        (
            w.saturating_sub(*rng.pick(&[0, 15, 17])),
            h.saturating_sub(rng.between(110, 180) as u16),
        )
    } else {
        (
            (f64::from(w) * (0.5 + rng.f64() * 0.45)) as u16,
            (f64::from(h) * (0.55 + rng.f64() * 0.3)) as u16,
        )
    };
    // Chrome caps deviceMemory at 8 and reports powers of two; only Blink exposes it.
    let memory = (ua.engine == Engine::Blink).then(|| {
        if mobile {
            pick_weighted(
                rng,
                &[
                    ("8", 0.4),
                    ("4", 0.35),
                    ("2", 0.15),
                    ("1", 0.07),
                    ("0.5", 0.03),
                ],
            )
        } else {
            pick_weighted(rng, &[("8", 0.7), ("4", 0.22), ("2", 0.08)])
        }
    });
    Device {
        screen,
        viewport,
        depth,
        platform,
        memory,
        cores,
    }
}

/// Client clock error: most clocks are within a second; some are minutes or hours off, a very
/// few are days off (dead RTC battery, manual date), which puts their `ts` on another date.
pub fn clock_skew(rng: &mut Rng) -> i64 {
    let sign = if rng.chance(0.5) { 1 } else { -1 };
    let u = rng.f64();
    let magnitude = if u < 0.70 {
        rng.between(0, 300)
    } else if u < 0.988 {
        rng.between(300, 3_000)
    } else if u < 0.999 {
        rng.between(60_000, 7_200_000)
    } else {
        rng.between(86_400_000, 3 * 86_400_000)
    };
    sign * magnitude
}

#[rustfmt::skip]
const RIPE_V4: &[u8] = &[2, 5, 31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 109, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217];
#[rustfmt::skip]
const ARIN_V4: &[u8] = &[23, 24, 50, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 96, 97, 98, 99, 104, 107, 108, 173, 174, 184, 199, 204, 206, 207, 208, 209];
#[rustfmt::skip]
const APNIC_V4: &[u8] = &[1, 14, 27, 36, 39, 42, 49, 58, 59, 60, 61, 101, 103, 110, 112, 114, 116, 118, 120, 122, 124, 175, 180, 182, 183, 202, 203, 210, 211, 218, 220, 222];

/// A client address in one of the registry's blocks (the last octet never 0 or 255).
pub fn ip_for(rng: &mut Rng, registry: Registry, v6: bool) -> IpAddr {
    let (octets, prefixes): (&[u8], &[u16]) = match registry {
        Registry::Ripe => (RIPE_V4, &[0x2a02, 0x2a01, 0x2003, 0x2001, 0x2a00, 0x2a0a]),
        Registry::Arin => (ARIN_V4, &[0x2600, 0x2601, 0x2603, 0x2604, 0x2605, 0x2607]),
        Registry::Apnic => (
            APNIC_V4,
            &[0x2400, 0x2401, 0x2402, 0x2404, 0x2405, 0x2406, 0x2409],
        ),
        Registry::Lacnic => (
            &[177, 179, 181, 186, 187, 189, 190, 191, 200, 201],
            &[0x2800, 0x2801, 0x2803, 0x2804],
        ),
        Registry::Afrinic => (&[41, 102, 105, 154, 196, 197], &[0x2c0f, 0x2c0e]),
    };
    if v6 {
        let mut seg = [0u16; 8];
        seg[0] = *rng.pick(prefixes);
        for s in seg.iter_mut().skip(1) {
            *s = rng.below(0x1_0000) as u16;
        }
        IpAddr::V6(Ipv6Addr::from(seg))
    } else {
        IpAddr::V4(Ipv4Addr::new(
            *rng.pick(octets),
            rng.below(256) as u8,
            rng.below(256) as u8,
            1 + rng.below(254) as u8,
        ))
    }
}

/// An address in a cloud provider's range (crawlers, scripts, headless browsers).
pub fn datacenter_ip(rng: &mut Rng) -> IpAddr {
    let first = *rng.pick(&[3u8, 13, 18, 34, 35, 44, 52, 54, 66, 157, 159, 167, 168]);
    IpAddr::V4(Ipv4Addr::new(
        first,
        rng.below(256) as u8,
        rng.below(256) as u8,
        1 + rng.below(254) as u8,
    ))
}
