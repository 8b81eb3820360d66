//! Prometheus metrics of the console.

use prometheus::{IntCounterVec, Opts, Registry};

#[derive(Clone)]
pub struct ConsoleMetrics {
    /// Staff sign-ins completed at the callback, by outcome (`ok` or the reason refused).
    pub sign_ins: IntCounterVec,
    /// Staff actions by action and outcome (`ok`, `refused`, `failed`).
    pub actions: IntCounterVec,
}

impl ConsoleMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let sign_ins = IntCounterVec::new(
            Opts::new("support_console_sign_ins_total", "Staff sign-ins by outcome"),
            &["outcome"],
        )?;
        let actions = IntCounterVec::new(
            Opts::new("support_console_actions_total", "Staff actions by action and outcome"),
            &["action", "outcome"],
        )?;
        registry.register(Box::new(sign_ins.clone()))?;
        registry.register(Box::new(actions.clone()))?;
        Ok(Self { sign_ins, actions })
    }
}
