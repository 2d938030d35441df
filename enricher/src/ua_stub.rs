//! TEMPORARY stub until the real ua module lands.
use std::sync::Arc;
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UaInfo {
    pub browser_name: Option<Arc<str>>,
    pub browser_version: Option<Arc<str>>,
    pub os_name: Option<Arc<str>>,
    pub os_version: Option<Arc<str>>,
    pub device_type: DeviceType,
    pub device_vendor: Option<Arc<str>>,
    pub is_bot: bool,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceType {
    Desktop,
}
impl DeviceType {
    pub fn as_str(self) -> &'static str {
        "Desktop"
    }
}
#[derive(Debug, thiserror::Error)]
#[error("ua")]
pub struct UaError;
pub struct UaParser;
impl UaParser {
    pub fn new() -> Result<Self, UaError> {
        Ok(UaParser)
    }
}
pub struct UaCache {
    h: u64,
}
impl UaCache {
    pub fn new(_c: usize) -> Self {
        UaCache { h: 0 }
    }
    pub fn get(&mut self, _p: &UaParser, _ua: &str) -> Arc<UaInfo> {
        self.h += 1;
        Arc::new(UaInfo {
            browser_name: None,
            browser_version: None,
            os_name: None,
            os_version: None,
            device_type: DeviceType::Desktop,
            device_vendor: None,
            is_bot: false,
        })
    }
    pub fn hits(&self) -> u64 {
        self.h
    }
    pub fn misses(&self) -> u64 {
        0
    }
}
