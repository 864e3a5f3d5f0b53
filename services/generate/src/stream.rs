//! The event stream: every event of the trust in the order it was emitted.
//!
//! A year's non-filter events are made at once and sorted; the filter log is drawn a day
//! at a time; the two are merged by `time`. Events emitted after the year ends (an
//! incident closed in September) are carried into the next year's batch, so `time`
//! never goes backwards and memory holds at most a year of the small families plus one
//! day of filter records, however many filter events are asked for.

use safelake_schemas::events::CloudEvent;

use crate::filter::FilterYear;
use crate::filter_plan::FilterPlan;
use crate::school_year;
use crate::world::World;
use crate::Options;

pub struct Events {
    world: World,
    plan: FilterPlan,
    position: usize,
    filter: Option<FilterYear>,
    /// Sorted latest first, so the next event is popped from the end.
    pending: Vec<CloudEvent>,
}

impl Events {
    pub fn new(options: &Options) -> Events {
        let world = World::new(options).unwrap_or_else(|e| panic!("invalid generator options: {e:#}"));
        let plan = FilterPlan::new(&world, options.filter_events);
        let mut events = Events { world, plan, position: 0, filter: None, pending: Vec::new() };
        if !events.world.years.is_empty() {
            events.start_year();
        }
        events
    }

    fn start_year(&mut self) {
        let mut batch = school_year::events(&self.world, self.position);
        batch.append(&mut self.pending);
        // Ids are unique, so this order is total and does not depend on the sort algorithm.
        batch.sort_unstable_by(|a, b| b.time.cmp(&a.time).then_with(|| b.id.cmp(&a.id)));
        self.pending = batch;
        self.filter = Some(FilterYear::new(&self.world, &self.plan, self.position));
    }
}

impl Iterator for Events {
    type Item = CloudEvent;

    fn next(&mut self) -> Option<CloudEvent> {
        loop {
            let years = self.world.years.len();
            if self.position >= years {
                return self.pending.pop();
            }
            let filter_time = self.filter.as_mut().and_then(|f| f.peek_time(&self.world, &self.plan));
            let pending_time = self.pending.last().map(|e| e.time);
            match (pending_time, filter_time) {
                (Some(p), Some(f)) if p <= f => return self.pending.pop(),
                (_, Some(_)) => return self.filter.as_mut()?.next_event(&self.world, &self.plan),
                (Some(p), None)
                    if self.position + 1 == years || p < self.world.years[self.position + 1].start_time() =>
                {
                    return self.pending.pop()
                }
                _ => {
                    self.position += 1;
                    self.filter = None;
                    if self.position < years {
                        self.start_year();
                    }
                }
            }
        }
    }
}
