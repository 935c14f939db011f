//! Where a directive's loss is heading: its losses over the last runs that measured it (the
//! window), read as one [`Convergence`]. The rules, in order:
//!
//! 1. every loss of the window at most the tolerance: `converged`;
//! 2. the loss changed direction at least twice (changes at most the tolerance count as none):
//!    `oscillating`;
//! 3. the last loss above the first by more than the tolerance: `regressing`; below it:
//!    `improving`;
//! 4. back where it started: the way it last moved (`regressing` if up, `improving` if down);
//! 5. else `plateau` (a directive measured once, above the tolerance, is a plateau).

use exemplar_formats::next::Convergence;

/// The convergence of `losses` (oldest first; the window already taken).
pub fn judge(losses: &[f64], tolerance: f64) -> Convergence {
    if losses.iter().all(|l| *l <= tolerance) {
        return Convergence::Converged;
    }
    let directions: Vec<f64> = losses
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|d| d.abs() > tolerance)
        .map(f64::signum)
        .collect();
    let turns = directions.windows(2).filter(|w| w[0] != w[1]).count();
    if turns >= 2 {
        return Convergence::Oscillating;
    }
    let (first, last) = (losses[0], losses[losses.len() - 1]);
    let net = if (last - first).abs() > tolerance {
        last - first
    } else {
        directions.last().copied().unwrap_or(0.0)
    };
    if net > 0.0 {
        Convergence::Regressing
    } else if net < 0.0 {
        Convergence::Improving
    } else {
        Convergence::Plateau
    }
}

/// The index in `losses` (oldest first) of the last loss that rose above the one before it by
/// more than the tolerance; a first loss above the tolerance counts as a rise from nothing
/// when `from_nothing` (the window starts at the directive's first measurement).
pub fn last_rise(losses: &[f64], tolerance: f64, from_nothing: bool) -> Option<usize> {
    let rose = losses
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[1] - w[0] > tolerance)
        .map(|(i, _)| i + 1)
        .next_back();
    rose.or_else(|| (from_nothing && losses.first()? > &tolerance).then_some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: f64 = 0.001;

    #[test]
    fn each_signal_from_its_losses() {
        let cases: &[(&[f64], Convergence)] = &[
            (&[0.0, 0.0, 0.0], Convergence::Converged),
            (&[0.0005], Convergence::Converged),
            (&[1.0, 0.5, 0.25, 0.0], Convergence::Improving),
            (&[0.5, 0.5, 0.5], Convergence::Plateau),
            (&[0.5], Convergence::Plateau),
            (&[0.5, 0.5004, 0.4998], Convergence::Plateau),
            (&[0.0, 0.5, 0.0, 0.5], Convergence::Oscillating),
            (&[0.5, 0.0, 0.5, 0.0], Convergence::Oscillating),
            // Back where it started: the way it last moved.
            (&[0.5, 0.0, 0.5], Convergence::Regressing),
            (&[0.0, 0.2, 0.2, 0.0], Convergence::Improving),
            (&[0.0, 0.25, 0.5], Convergence::Regressing),
            // One turn is not an oscillation: down, then up past the start.
            (&[0.5, 0.25, 0.75], Convergence::Regressing),
            // Flat stretches do not count as turns.
            (&[1.0, 1.0, 0.5, 0.5, 0.0], Convergence::Improving),
        ];
        for (losses, want) in cases {
            assert_eq!(judge(losses, T), *want, "{losses:?}");
        }
    }

    #[test]
    fn the_last_rise_is_found_and_a_first_measurement_counts_when_asked() {
        assert_eq!(last_rise(&[0.0, 0.5, 0.5, 1.0, 0.5], T, false), Some(3));
        assert_eq!(last_rise(&[1.0, 0.5], T, false), None);
        assert_eq!(last_rise(&[1.0, 0.5], T, true), Some(0));
        assert_eq!(last_rise(&[0.0, 0.0], T, true), None);
    }
}
