//! Everything the emulated workspace remembers, behind one lock.

use std::collections::{BTreeMap, HashMap};

use super::clock::Clock;
use super::faults::FaultRule;
use super::objects::Objects;
use super::rate_limits::{Limiter, RateLimit};
use super::runs::RunRecord;
use super::workspace_tree::Tree;
use super::{EmulatorConfig, RequestRecord};

pub struct Issued {
    /// SCIM userName of whoever the token belongs to.
    pub principal: String,
    pub expires_ms: u64,
}

pub struct JobRecord {
    pub job_id: i64,
    pub settings: serde_json::Value,
    pub creator: String,
    pub created_ms: u64,
}

pub struct State {
    pub clock: Clock,
    pub base_url: String,
    pub workspace_id: String,
    pub config: EmulatorConfig,
    pub tree: Tree,
    pub runs: BTreeMap<i64, RunRecord>,
    pub jobs: BTreeMap<i64, JobRecord>,
    pub idempotency: HashMap<String, i64>,
    pub next_id: i64,
    pub issued: HashMap<String, Issued>,
    pub faults: Vec<FaultRule>,
    /// Draws for faults that affect a share of requests; seeded, so a run replays.
    pub fault_rng: fastrand::Rng,
    /// Rate limits with their token buckets.
    pub limiters: Vec<Limiter>,
    pub log: Vec<RequestRecord>,
    pub objects: Objects,
    /// Runs started per notebook path (for `fail-first`).
    pub notebook_runs: HashMap<String, u32>,
    /// Each pipeline's updates, oldest first.
    pub pipeline_updates: HashMap<String, Vec<super::pipeline_updates::UpdateRecord>>,
}

impl State {
    pub fn new(config: EmulatorConfig, base_url: String) -> State {
        let clock = Clock::new(config.clock_speed);
        let now = clock.now_ms();
        let user = config.user_name.clone();
        let mut objects = Objects::seeded(now, &user);
        objects.add(&config.objects);
        State {
            clock,
            base_url,
            workspace_id: "1234567890123456".into(),
            faults: config.faults.clone(),
            fault_rng: fastrand::Rng::with_seed(config.fault_seed),
            limiters: config
                .rate_limits
                .iter()
                .map(|r| Limiter::new(r.clone(), std::time::Instant::now()))
                .collect(),
            config,
            tree: Tree::new(now),
            runs: BTreeMap::new(),
            jobs: BTreeMap::new(),
            idempotency: HashMap::new(),
            next_id: 1000,
            issued: HashMap::new(),
            log: Vec::new(),
            objects,
            notebook_runs: HashMap::new(),
            pipeline_updates: HashMap::new(),
        }
    }

    pub fn next_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Who a bearer token belongs to, if it is valid now.
    pub fn principal(&self, token: &str) -> Option<String> {
        if self.config.tokens.iter().any(|t| t == token) {
            return Some(self.config.user_name.clone());
        }
        let issued = self.issued.get(token)?;
        (self.clock.now_ms() < issued.expires_ms).then(|| issued.principal.clone())
    }

    pub fn add_rate_limit(&mut self, rule: RateLimit) {
        self.limiters
            .push(Limiter::new(rule, std::time::Instant::now()));
    }

    /// Takes the first matching fault rule, counting it down.
    pub fn take_fault(&mut self, method: &str, path: &str) -> Option<FaultRule> {
        // Each matching rule in turn; one with a share draws whether it applies this time.
        let rng = &mut self.fault_rng;
        let i = self.faults.iter().position(|r| {
            r.matches(method, path)
                && r.count != Some(0)
                && r.percent.is_none_or(|p| rng.f64() * 100.0 < p)
        })?;
        let rule = self.faults[i].clone();
        if let Some(c) = &mut self.faults[i].count {
            *c -= 1;
        }
        Some(rule)
    }
}
