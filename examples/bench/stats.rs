//! Samples and their summaries: median, percentiles, spread.

/// A set of measurements in one unit.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    pub values: Vec<f64>,
}

impl Samples {
    pub fn push(&mut self, v: f64) {
        self.values.push(v);
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.values.clone();
        v.sort_by(|a, b| a.total_cmp(b));
        v
    }

    /// The `p`-th percentile (0–100), nearest-rank on the sorted samples, interpolated.
    pub fn pct(&self, p: f64) -> f64 {
        let v = self.sorted();
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = (p / 100.0) * (v.len() - 1) as f64;
        let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (rank - lo as f64)
    }

    pub fn median(&self) -> f64 {
        self.pct(50.0)
    }

    pub fn min(&self) -> f64 {
        self.values.iter().copied().fold(f64::INFINITY, f64::min)
    }

    pub fn max(&self) -> f64 {
        self.values.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }

    /// `min–max (n runs)` for a handful of repetitions, `p5–p95 (n samples)` for many.
    pub fn spread(&self, unit: &str) -> String {
        if self.len() <= 12 {
            format!(
                "{}–{} {unit} (min–max, {} runs)",
                num(self.min()),
                num(self.max()),
                self.len()
            )
        } else {
            format!(
                "{}–{} {unit} (p5–p95, {} samples)",
                num(self.pct(5.0)),
                num(self.pct(95.0)),
                self.len()
            )
        }
    }

    /// Every sample, for the details section (at most `max` of them).
    pub fn list(&self, max: usize) -> String {
        let shown: Vec<String> = self.values.iter().take(max).map(|v| num(*v)).collect();
        let more = if self.len() > max {
            format!(", … ({} in all)", self.len())
        } else {
            String::new()
        };
        format!("{}{more}", shown.join(", "))
    }
}

/// A number with a sensible number of digits for a report.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let a = v.abs();
    if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}
