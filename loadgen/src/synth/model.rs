//! Everything fixed for a run: the sites with their traffic shares and the edge geo table.

use super::regions::{edge_table, EdgeGeo};
use super::rng::{Rng, Weighted};
use super::sites::{build_sites, Site, SiteKind};

/// The static world of a run (built once from the seed).
#[derive(Debug)]
pub struct Model {
    /// Tracked sites, most visited first.
    pub sites: Vec<Site>,
    /// Zipf-skewed choice of site for tracker visits.
    pub site_pick: Weighted,
    /// Indices of the shops (targets of `/collect` visits).
    pub shops: Vec<u16>,
    /// Choice among the shops.
    pub shop_pick: Weighted,
    /// CloudFront edge table (cities for viewer geo).
    pub edges: Vec<EdgeGeo>,
}

impl Model {
    /// Builds `site_count` sites from `rng`.
    pub fn build(rng: &mut Rng, site_count: usize) -> Model {
        let sites = build_sites(rng, site_count);
        let shops: Vec<u16> = sites
            .iter()
            .enumerate()
            .filter(|(_, s)| s.kind == SiteKind::Shop)
            .map(|(i, _)| i as u16)
            .collect();
        Model {
            site_pick: Weighted::zipf(sites.len(), 1.1),
            shop_pick: Weighted::zipf(shops.len(), 1.0),
            shops,
            sites,
            edges: edge_table(),
        }
    }

    /// A site by index (index 0 when out of range, which cannot happen for generated hits).
    pub fn site(&self, index: u16) -> &Site {
        self.sites.get(usize::from(index)).unwrap_or(&self.sites[0])
    }

    /// Draws the site of a new visit; `/collect` visits go to shops.
    pub fn pick_site(&self, rng: &mut Rng, collect: bool) -> u16 {
        if collect && !self.shops.is_empty() {
            self.shops[self.shop_pick.sample(rng)]
        } else {
            self.site_pick.sample(rng) as u16
        }
    }
}
