//! Work over many items on every core: the one thread pool pattern of the loaders (concept
//! files, documents), written once.
//!
//! Owns only threads that end before it returns (scoped); knows nothing of files or of what
//! the work is. Callers decide what a worker's panic means.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Calls `each(&mut state, i)` for every `i` in `0..total`, on up to 8 threads (this one
/// included, and never more threads than items), each taking the next index as it finishes
/// one. `progress(done)` runs on this thread: when the count has grown by `step` since the last
/// report, and once at the end with `total`.
///
/// Returns every thread's state, this thread's first. A worker thread that panicked gives its
/// panic in place of its state; a panic on this thread unwinds as usual.
pub fn for_each_index<S: Send>(
    total: usize,
    step: usize,
    init: impl Fn() -> S + Sync,
    each: impl Fn(&mut S, usize) + Sync,
    progress: &mut dyn FnMut(usize),
) -> Vec<std::thread::Result<S>> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let work = |report: &mut dyn FnMut(usize)| {
        let mut state = init();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= total {
                break;
            }
            each(&mut state, i);
            report(done.fetch_add(1, Ordering::Relaxed) + 1);
        }
        state
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8).min(total.max(1));
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads).map(|_| scope.spawn(|| work(&mut |_| {}))).collect();
        // This thread works too, and reports the progress of all.
        let mut reported: Option<usize> = None;
        let mine = work(&mut |d| {
            if reported.is_none_or(|r| d >= r + step.max(1)) {
                reported = Some(d);
                progress(d);
            }
        });
        let mut all = vec![Ok(mine)];
        all.extend(handles.into_iter().map(|h| h.join()));
        if reported != Some(total) {
            progress(total);
        }
        all
    })
}

/// `f(i)` for every `i` in `0..total` on every core (as [`for_each_index`]), in index order; a
/// panic of `f` on any thread unwinds here.
pub fn map_in_order<T: Send>(total: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let states = for_each_index(
        total,
        total.max(1),
        Vec::new,
        |done: &mut Vec<(usize, T)>, i| done.push((i, f(i))),
        &mut |_| {},
    );
    let mut all = Vec::with_capacity(total);
    for state in states {
        match state {
            Ok(done) => all.extend(done),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, t)| t).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_in_order_keeps_the_order_and_a_panic_unwinds() {
        for total in [0, 1, 5, 999] {
            assert_eq!(map_in_order(total, |i| i * 2), (0..total).map(|i| i * 2).collect::<Vec<_>>());
        }
        let panicked = std::panic::catch_unwind(|| map_in_order(50, |i| if i == 33 { panic!("item 33") } else { i }));
        assert!(panicked.is_err());
    }

    #[test]
    fn every_index_once_progress_to_the_end_and_a_panic_stays_with_its_thread() {
        for total in [0, 1, 7, 1000] {
            let mut reports = Vec::new();
            let states =
                for_each_index(total, 10, Vec::new, |seen: &mut Vec<usize>, i| seen.push(i), &mut |d| reports.push(d));
            let mut all: Vec<usize> = states.into_iter().flat_map(|s| s.unwrap()).collect();
            all.sort_unstable();
            assert_eq!(all, (0..total).collect::<Vec<_>>());
            assert_eq!(reports.last(), Some(&total), "{reports:?}");
            assert!(reports.windows(2).all(|w| w[0] < w[1]), "{reports:?}");
        }
        // One item panics on whichever thread takes it; the others are all done.
        let done = AtomicUsize::new(0);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            for_each_index(
                100,
                1,
                || (),
                |_, i| {
                    assert_ne!(i, 50, "item 50 fails");
                    done.fetch_add(1, Ordering::Relaxed);
                },
                &mut |_| {},
            )
        }));
        match result {
            // A worker thread took it: its state is the panic, the rest went on.
            Ok(states) => {
                assert_eq!(states.iter().filter(|s| s.is_err()).count(), 1);
                assert_eq!(done.load(Ordering::Relaxed), 99);
            }
            // This thread took it: the panic unwinds to the caller.
            Err(panic) => assert!(panic.downcast_ref::<String>().is_some_and(|m| m.contains("item 50 fails"))),
        }
    }
}
