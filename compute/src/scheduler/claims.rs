//! The allocation ledger: what each instance holds on each node.
//!
//! A claim locks the node's row (bumping its generation), then sums what
//! the node already holds and adds the new allocation only if it fits in
//! (total − reserved) × ratio. Claims on one node therefore run one at a
//! time on every backend and each sees the allocations committed before
//! it: no interleaving of concurrent boots can overcommit a node.

use super::{fits, HostState, Resources};
use crate::store::models::AllocationRow;
use crate::store::{self, Conn, R};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum ClaimOutcome {
    /// Allocated; what the node holds now, this claim included.
    Claimed(Resources),
    /// Does not fit: what the node holds.
    Full(Resources),
    /// The node no longer exists.
    Gone,
}

fn add(total: &mut Resources, a: &AllocationRow) {
    total.vcpus += a.vcpus;
    total.memory_mb += a.memory_mb;
    total.disk_gb += a.disk_gb;
}

/// Claims `want` on `node_id` for `consumer_id`. Runs inside the caller's
/// transaction before any plain read in it (only other row locks may come
/// first): on MySQL the first plain read fixes the transaction's snapshot,
/// which has to be taken after the lock.
pub fn claim(c: &mut Conn, node_id: &str, consumer_id: &str, want: Resources) -> R<ClaimOutcome> {
    if !store::nodes::lock_for_claim(c, node_id)? {
        return Ok(ClaimOutcome::Gone);
    }
    let Some(node) = store::nodes::get(c, node_id)? else {
        return Ok(ClaimOutcome::Gone);
    };
    let mut used = Resources::default();
    for a in store::nodes::allocations_on(c, node_id)? {
        add(&mut used, &a);
    }
    let total = Resources {
        vcpus: node.vcpus,
        memory_mb: node.memory_mb,
        disk_gb: node.local_gb,
    };
    let policy = node.policy();
    if !fits(&total, &policy, &used, &want) {
        return Ok(ClaimOutcome::Full(used));
    }
    store::nodes::insert_allocation(
        c,
        &AllocationRow {
            consumer_id: consumer_id.to_owned(),
            node_id: node_id.to_owned(),
            vcpus: want.vcpus,
            memory_mb: want.memory_mb,
            disk_gb: want.disk_gb,
            created_at: compat_api::time::now_us(),
        },
    )?;
    used.vcpus += want.vcpus;
    used.memory_mb += want.memory_mb;
    used.disk_gb += want.disk_gb;
    Ok(ClaimOutcome::Claimed(used))
}

/// The scheduler's view of every node: rows, what is allocated on each and
/// how many consumers hold something there.
pub fn host_states(c: &mut Conn) -> R<Vec<HostState>> {
    let mut used: HashMap<String, (Resources, usize)> = HashMap::new();
    for a in store::nodes::all_allocations(c)? {
        let entry = used.entry(a.node_id.clone()).or_default();
        add(&mut entry.0, &a);
        entry.1 += 1;
    }
    Ok(store::nodes::all(c)?
        .iter()
        .map(|row| {
            let mut h = HostState::from_row(row);
            if let Some((u, n)) = used.remove(&row.id) {
                h.used = u;
                h.instances = n;
            }
            h
        })
        .collect())
}
