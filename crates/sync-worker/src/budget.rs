//! The S-360 call budget of the whole installation, kept in PostgreSQL (`store::budget`): the
//! contact API client of every process (each worker replica's link, write-back and follow-up
//! tasks, `import --numbers`, `reconcile`) reserves its calls from the one schedule named by
//! `SECUTIX_BUDGET`, so together they never spend more than `SECUTIX_RATE_PER_MINUTE`.

use std::{sync::Arc, time::Duration};

use secutix_client::{BudgetFuture, Client, RateLimiter, SecutixArgs, SharedBudget};
use store::PgPool;

/// The schedule `name` in the database of `pool`.
pub struct PgBudget {
    pool: PgPool,
    name: String,
}

impl SharedBudget for PgBudget {
    fn reserve(&self, spacing: Duration) -> BudgetFuture<'_, Duration> {
        Box::pin(async move {
            let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
            store::budget::reserve(&mut conn, &self.name, spacing)
                .await
                .map_err(|e| e.to_string())
        })
    }

    fn pause(&self, pause: Duration) -> BudgetFuture<'_, ()> {
        Box::pin(async move {
            let mut conn = self.pool.get().await.map_err(|e| e.to_string())?;
            store::budget::pause(&mut conn, &self.name, pause)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// The contact API client of this process, spending the installation's shared budget; `None`
/// when no API URL is configured.
pub fn client(args: &SecutixArgs, pool: &PgPool) -> anyhow::Result<Option<Client>> {
    let Some(base) = args.secutix_api_url.clone() else {
        return Ok(None);
    };
    let budget = Arc::new(PgBudget {
        pool: pool.clone(),
        name: args.secutix_budget.clone(),
    });
    let limiter = RateLimiter::shared(args.secutix_rate_per_minute, budget);
    Ok(Some(Client::new(args, base, limiter)?))
}
