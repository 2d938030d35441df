//! Visitors: a device and network identity that stays fixed across all of a visitor's hits
//! (IP, user agent, language, screen, time zone, edge), plus returning visitors and shared IPs.

use super::device::{clock_skew, datacenter_ip, device, ip_for, Device};
use super::regions::{EdgeGeo, Region, DATACENTER_ASNS, REGIONS};
use super::rng::{pick_weighted, Rng, Weighted};
use super::ua::{BotKind, DeviceClass, UaFactory, UserAgent};
use std::net::IpAddr;
use std::rc::Rc;

/// One visitor (one browser on one device).
#[derive(Debug)]
pub struct Visitor {
    /// Dense id (for counting distinct visitors).
    pub id: u32,
    /// Index into [`REGIONS`].
    pub region: u16,
    /// Client address.
    pub ip: IpAddr,
    /// The address as text (written on every CloudFront line).
    pub ip_text: String,
    /// Browser.
    pub ua: Rc<UserAgent>,
    /// `navigator.language`.
    pub lang: &'static str,
    /// Time zone (`tz`).
    pub tz: &'static str,
    /// Screen, viewport, platform, memory and cores, consistent with the user agent.
    pub device: Device,
    /// Usual CloudFront edge (IATA code) and its POP number.
    pub edge: &'static str,
    /// POP number in `x-edge-location` (`HAM50-C2` → 50).
    pub edge_num: u8,
    /// Autonomous system of the client address.
    pub asn: u32,
    /// Client clock error: `ts` = true time + skew.
    pub skew_ms: i64,
    /// GA client id (`cid`), a UUID.
    pub cid: String,
    /// Logged-in user id (`uid`), for some visitors.
    pub uid: Option<String>,
    /// Home city for CloudFront-Viewer geo headers (index into the edge table).
    pub home: Option<u16>,
    /// Whether this visitor's GA client puts `ua` into the `/collect` body.
    pub collect_sends_ua: bool,
}

impl Visitor {
    /// True for crawlers and headless browsers.
    pub fn is_bot(&self) -> bool {
        self.ua.bot.is_some()
    }

    /// True for crawlers that do not run the tracker script.
    pub fn is_crawler(&self) -> bool {
        self.ua.bot == Some(BotKind::Crawler)
    }

    /// True on phones and tablets (slower, more delayed networks).
    pub fn is_mobile(&self) -> bool {
        matches!(
            self.ua.class,
            DeviceClass::AndroidPhone
                | DeviceClass::AndroidTablet
                | DeviceClass::IPhone
                | DeviceClass::IPad
        )
    }
}

/// Recently seen visitors kept per region for returning sessions; bounded so memory stays flat.
const RECENT_PER_REGION: usize = 4096;

/// Creates visitors and remembers recent ones.
#[derive(Debug)]
pub struct VisitorFactory {
    uas: UaFactory,
    cities: Vec<Vec<u16>>,
    recent: Vec<Vec<Rc<Visitor>>>,
    next_id: u32,
}

impl VisitorFactory {
    /// A factory over the edge table.
    pub fn new(edges: &[EdgeGeo]) -> VisitorFactory {
        let cities = REGIONS
            .iter()
            .map(|r| {
                edges
                    .iter()
                    .enumerate()
                    .filter(|(_, e)| e.country_code == r.country)
                    .map(|(i, _)| i as u16)
                    .collect()
            })
            .collect();
        VisitorFactory {
            uas: UaFactory::new(),
            cities,
            recent: vec![Vec::new(); REGIONS.len()],
            next_id: 0,
        }
    }

    /// Visitors created so far.
    #[cfg(test)]
    pub fn created(&self) -> u32 {
        self.next_id
    }

    /// A visitor for a new session in `region`: sometimes a returning one.
    pub fn visitor_for_session(&mut self, rng: &mut Rng, region: usize) -> Rc<Visitor> {
        let recent = &self.recent[region];
        if !recent.is_empty() && rng.chance(0.25) {
            return Rc::clone(&recent[rng.index(recent.len())]);
        }
        let v = Rc::new(self.new_visitor(rng, region));
        let recent = &mut self.recent[region];
        if recent.len() < RECENT_PER_REGION {
            recent.push(Rc::clone(&v));
        } else {
            let slot = rng.index(RECENT_PER_REGION);
            recent[slot] = Rc::clone(&v);
        }
        v
    }

    fn new_visitor(&mut self, rng: &mut Rng, region_idx: usize) -> Visitor {
        let region: &Region = &REGIONS[region_idx];
        let bot = rng.chance(0.04);
        let lang = if bot {
            "en-US"
        } else {
            pick_weighted(rng, region.langs)
        };
        let ua = self.uas.draw(rng, lang, bot);
        let id = self.next_id;
        self.next_id += 1;
        let device = device(rng, &ua);
        let v6 = rng.chance(
            if matches!(ua.class, DeviceClass::AndroidPhone | DeviceClass::IPhone) {
                0.22
            } else {
                0.07
            },
        );
        // A few visitors share an address with an earlier one (household NAT, office, carrier NAT).
        let shared = self.recent[region_idx]
            .last()
            .filter(|_| !bot && rng.chance(0.03))
            .map(|v| (v.ip, v.asn));
        let (ip, asn) = match shared {
            Some(s) => s,
            None if bot => (datacenter_ip(rng), *rng.pick(DATACENTER_ASNS)),
            None => (ip_for(rng, region.registry, v6), *rng.pick(region.asns)),
        };
        let edge = region.edges[Weighted::zipf(region.edges.len(), 1.0).sample(rng)];
        let edge_num =
            (10 + edge.bytes().map(u32::from).sum::<u32>() % 70 + rng.below(3) as u32) as u8;
        let skew_ms = clock_skew(rng);
        let mut cid = [0u8; 16];
        rng.fill(&mut cid);
        let cid = uuid::Builder::from_random_bytes(cid)
            .into_uuid()
            .hyphenated()
            .to_string();
        let uid =
            (!bot && rng.chance(0.15)).then(|| format!("user-{}", 100_000 + rng.below(900_000)));
        let cities = &self.cities[region_idx];
        let home = (!cities.is_empty()).then(|| cities[rng.index(cities.len())]);
        Visitor {
            id,
            region: region_idx as u16,
            ip_text: ip.to_string(),
            ip,
            lang,
            tz: if ua.bot.is_some() { "UTC" } else { region.tz },
            device,
            edge,
            edge_num,
            asn,
            skew_ms,
            cid,
            uid,
            home,
            collect_sends_ua: rng.chance(0.4),
            ua,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::regions::edge_table;
    use super::super::ua::Engine;
    use super::*;

    #[test]
    fn visitors_are_consistent_and_some_return() {
        let edges = edge_table();
        let mut f = VisitorFactory::new(&edges);
        let mut rng = Rng::new(5);
        let vs: Vec<_> = (0..5000)
            .map(|i| f.visitor_for_session(&mut rng, i % REGIONS.len()))
            .collect();
        let distinct = f.created() as usize;
        assert!(distinct < vs.len() && distinct > vs.len() / 2, "{distinct}");
        let v6 = vs.iter().filter(|v| v.ip.is_ipv6()).count();
        assert!(v6 > 100 && v6 < 1500, "{v6}");
        assert!(vs.iter().any(|v| v.is_bot()));
        for v in &vs {
            assert!(
                v.device.viewport.0 <= v.device.screen.0
                    && v.device.viewport.1 <= v.device.screen.1
            );
            assert_eq!(v.device.memory.is_some(), v.ua.engine == Engine::Blink);
            if v.ua.class == DeviceClass::IPhone {
                assert_eq!(v.device.platform, "iPhone");
            }
            assert!(REGIONS[v.region as usize].edges.contains(&v.edge));
        }
    }
}
