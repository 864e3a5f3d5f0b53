//! Seeded randomness and the identifiers drawn from it.
//!
//! Every part of the trust (one school's incidents in one year, one day of filter logs,
//! ...) draws from its own ChaCha8 stream, derived from the seed and the part's
//! coordinates. ChaCha8 gives the same numbers on every platform, and separate streams
//! mean that changing one option (say the number of filter events) leaves every other
//! part of the output byte for byte the same.

use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Poisson, StandardNormal};

pub type Rng = ChaCha8Rng;

/// The parts of the trust that own a random stream.
#[derive(Debug, Clone, Copy)]
pub enum Part {
    Trust = 1,
    Traits,
    Population,
    Roster,
    Agreements,
    Incidents,
    Monitor,
    Changes,
    FilterPlan,
    FilterDay,
    Boards,
    Assurance,
    Training,
}

/// The stream of `part` at coordinates `(a, b)` (e.g. school index and year position).
pub fn stream(seed: u64, part: Part, a: u64, b: u64) -> Rng {
    let mut h = splitmix(seed ^ 0x5afe_1a4e_0000_0000);
    for x in [part as u64, a, b] {
        h = splitmix(h ^ x);
    }
    ChaCha8Rng::seed_from_u64(h)
}

/// SplitMix64's finaliser: neighbouring coordinates give unrelated seeds.
fn splitmix(z: u64) -> u64 {
    let z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_hex(out: &mut String, value: u64, digits: u32) {
    for i in (0..digits).rev() {
        out.push(HEX[((value >> (i * 4)) & 0xf) as usize] as char);
    }
}

/// A random (version 4 shaped) UUID. 122 random bits make a clash between events
/// practically impossible, so ids need no registry to stay unique.
pub fn uuid(rng: &mut Rng) -> String {
    let a: u64 = (rng.random::<u64>() & 0xffff_ffff_ffff_0fff) | 0x4000;
    let b: u64 = (rng.random::<u64>() & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    let mut s = String::with_capacity(36);
    push_hex(&mut s, a >> 32, 8);
    s.push('-');
    push_hex(&mut s, a >> 16, 4);
    s.push('-');
    push_hex(&mut s, a, 4);
    s.push('-');
    push_hex(&mut s, b >> 48, 4);
    s.push('-');
    push_hex(&mut s, b, 12);
    s
}

/// A pseudonymous reference: the prefix (`p`, `s`, `g`, `v`, `b`), `_` and 16 hex digits,
/// the shape an emitter's keyed hash of a real identifier would have.
pub fn reference(rng: &mut Rng, prefix: char) -> String {
    let mut s = String::with_capacity(18);
    s.push(prefix);
    s.push('_');
    push_hex(&mut s, rng.random::<u64>(), 16);
    s
}

/// `median * e^(sigma * N(0, 1))`: delays and sizes that are mostly near the median with
/// a long right tail, as waiting times in a school office are.
pub fn lognormal(rng: &mut Rng, median: f64, sigma: f64) -> f64 {
    let z: f64 = StandardNormal.sample(rng);
    median * (sigma * z).exp()
}

pub fn poisson(rng: &mut Rng, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    Poisson::new(lambda).map(|p| p.sample(rng) as u64).unwrap_or(0)
}

/// A Pareto weight (scale 1) capped at `cap`: a few members of a population get far
/// more than their share, and the cap keeps one of them from taking everything.
pub fn pareto(rng: &mut Rng, shape: f64, cap: f64) -> f64 {
    let u: f64 = rng.random::<f64>();
    (1.0 - u).powf(-1.0 / shape).min(cap)
}

/// A weighted choice among fixed values by binary search over cumulative weights.
#[derive(Debug, Clone)]
pub struct Table<T> {
    values: Vec<T>,
    cumulative: Vec<f64>,
}

impl<T: Copy> Table<T> {
    pub fn new(items: impl IntoIterator<Item = (T, f64)>) -> Table<T> {
        let mut values = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for (value, weight) in items {
            if weight > 0.0 {
                total += weight;
                values.push(value);
                cumulative.push(total);
            }
        }
        Table { values, cumulative }
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Panics on an empty table: callers check `is_empty` where a table can be empty.
    pub fn sample(&self, rng: &mut Rng) -> T {
        let total = *self.cumulative.last().expect("a non-empty table");
        let x = rng.random::<f64>() * total;
        let i = self.cumulative.partition_point(|&c| c <= x);
        self.values[i.min(self.values.len() - 1)]
    }
}

/// A weighted choice from a short literal list.
pub fn pick<T: Copy>(rng: &mut Rng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for &(value, weight) in items {
        if x < weight {
            return value;
        }
        x -= weight;
    }
    items.last().expect("a non-empty list").0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let a = uuid(&mut stream(42, Part::FilterDay, 1, 2));
        assert_eq!(a, uuid(&mut stream(42, Part::FilterDay, 1, 2)));
        assert_ne!(a, uuid(&mut stream(42, Part::FilterDay, 2, 1)));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        let r = reference(&mut stream(1, Part::Population, 0, 0), 'p');
        assert!(r.starts_with("p_") && r.len() == 18 && r[2..].bytes().all(|b| HEX.contains(&b)));
    }

    #[test]
    fn tables_respect_weights() {
        let table = Table::new([(0usize, 1.0), (1, 0.0), (2, 3.0)]);
        let mut rng = stream(7, Part::Trust, 0, 0);
        let mut counts = [0u32; 3];
        for _ in 0..4000 {
            counts[table.sample(&mut rng)] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!(counts[2] > 2 * counts[0], "{counts:?}");
    }
}
