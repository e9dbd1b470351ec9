//! Scheduler tests with a manual clock (paused tokio time): every firing across the DST days
//! of Europe/Berlin (2026-03-29 spring forward, 2026-10-25 fall back) and in a zone without
//! DST (Asia/Ho_Chi_Minh), none twice, none skipped; coalescing of missed firings; no overlap.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use scorekeeper::scheduler::{Clock, JobLoop, NoObserver, Schedule, ScheduledJob};
use tokio_util::sync::CancellationToken;

use crate::support::daemon::{Firing, Recorder, test_context};

/// Runs `expr` in `tz` from local midnight of the day before `day` to the end of the day
/// after, with paused tokio time, and returns what fired.
async fn simulate(
    expr: &str,
    tz: Tz,
    day: NaiveDate,
) -> (Vec<Firing>, DateTime<Utc>, DateTime<Utc>) {
    let dir = tempfile::tempdir().unwrap();
    let start = local_midnight(tz, day.pred_opt().unwrap());
    let end = local_midnight(tz, day.succ_opt().unwrap().succ_opt().unwrap());
    // One second early, so a firing at exactly local midnight is seen (firings are
    // strictly after the start).
    let clock = Clock::starting_at(start - chrono::Duration::seconds(1));
    let recorder = Arc::new(Recorder::new("tick", clock.clone()));
    let stop = CancellationToken::new();
    let job_loop = JobLoop {
        scheduled: ScheduledJob {
            job: recorder.clone(),
            schedule: Schedule::parse(expr, tz.name()).unwrap(),
        },
        ctx: test_context(dir.path()),
        clock: clock.clone(),
        observer: Arc::new(NoObserver),
        run_lock: Arc::default(),
        trigger: None,
    };
    let handle = tokio::spawn(job_loop.run(stop.clone()));
    clock.sleep_until(end - chrono::Duration::seconds(1)).await;
    stop.cancel();
    handle.await.unwrap();
    (recorder.firings(), start, end)
}

fn local_midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    tz.from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// The independent oracle: every local (hour, minute) of the three days resolved through
/// chrono-tz. A repeated time gives both instants (interval lines) or the first (fixed-time
/// lines); a missing time gives nothing (interval) or the first instant after the gap
/// (fixed-time), which is croner's documented behaviour.
fn expected(
    tz: Tz,
    day: NaiveDate,
    hours: &[u32],
    minutes: &[u32],
    fixed: bool,
) -> Vec<DateTime<Utc>> {
    use chrono::LocalResult;
    let mut out = Vec::new();
    for d in [day.pred_opt().unwrap(), day, day.succ_opt().unwrap()] {
        for &h in hours {
            for &m in minutes {
                let naive = d.and_hms_opt(h, m, 0).unwrap();
                match tz.from_local_datetime(&naive) {
                    LocalResult::Single(t) => out.push(t.with_timezone(&Utc)),
                    LocalResult::Ambiguous(a, b) => {
                        out.push(a.with_timezone(&Utc));
                        if !fixed {
                            out.push(b.with_timezone(&Utc));
                        }
                    }
                    LocalResult::None if fixed => {
                        let mut n = naive;
                        let after = loop {
                            n += chrono::Duration::minutes(1);
                            if let Some(t) = tz.from_local_datetime(&n).earliest() {
                                break t;
                            }
                        };
                        out.push(after.with_timezone(&Utc));
                    }
                    LocalResult::None => {}
                }
            }
        }
    }
    out.sort();
    out
}

fn check(firings: &[Firing], want: &[DateTime<Utc>], what: &str) {
    let got: Vec<DateTime<Utc>> = firings.iter().map(|f| f.scheduled_for).collect();
    let mut dedup = got.clone();
    dedup.dedup();
    assert_eq!(dedup.len(), got.len(), "{what}: a firing ran twice");
    for f in firings {
        assert_eq!(f.at, f.scheduled_for, "{what}: ran late or early");
    }
    let missing: Vec<_> = want.iter().filter(|t| !got.contains(t)).collect();
    let extra: Vec<_> = got.iter().filter(|t| !want.contains(t)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: missing {missing:?}, extra {extra:?}"
    );
    assert_eq!(got, want, "{what}");
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

const HOURS: [u32; 24] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
];

#[tokio::test(start_paused = true)]
async fn berlin_spring_forward_fixed_time() {
    let tz = chrono_tz::Europe::Berlin;
    let day = date(2026, 3, 29);
    let (f, _, _) = simulate("30 2 * * *", tz, day).await;
    check(
        &f,
        &expected(tz, day, &[2], &[30], true),
        "30 2 * * * Berlin spring",
    );
    // 02:30 does not exist on the 29th: the run happens once, at 03:00 CEST (01:00 UTC).
    let at: Vec<_> = f.iter().map(|f| f.scheduled_for).collect();
    assert_eq!(
        at,
        [
            utc(2026, 3, 28, 1, 30),
            utc(2026, 3, 29, 1, 0),
            utc(2026, 3, 30, 0, 30)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn berlin_spring_forward_intervals() {
    let tz = chrono_tz::Europe::Berlin;
    let day = date(2026, 3, 29);
    let (f, _, _) = simulate("0 * * * *", tz, day).await;
    check(
        &f,
        &expected(tz, day, &HOURS, &[0], false),
        "0 * * * * Berlin spring",
    );
    assert_eq!(f.len(), 24 + 23 + 24);
    let (f, start, end) = simulate("*/15 * * * *", tz, day).await;
    check(
        &f,
        &expected(tz, day, &HOURS, &[0, 15, 30, 45], false),
        "*/15 Berlin spring",
    );
    assert_eq!(f.len(), 96 + 92 + 96);
    // Every 15 real minutes, without a hole: the day is 71 hours long.
    assert_eq!((end - start).num_hours(), 71);
    for w in f.windows(2) {
        assert_eq!(
            w[1].scheduled_for - w[0].scheduled_for,
            chrono::Duration::minutes(15)
        );
    }
}

#[tokio::test(start_paused = true)]
async fn berlin_fall_back_fixed_time() {
    let tz = chrono_tz::Europe::Berlin;
    let day = date(2026, 10, 25);
    let (f, _, _) = simulate("30 2 * * *", tz, day).await;
    check(
        &f,
        &expected(tz, day, &[2], &[30], true),
        "30 2 * * * Berlin fall",
    );
    // 02:30 happens twice on the 25th (CEST, then CET): the run happens once, the first time.
    let at: Vec<_> = f.iter().map(|f| f.scheduled_for).collect();
    assert_eq!(
        at,
        [
            utc(2026, 10, 24, 0, 30),
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 26, 1, 30)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn berlin_fall_back_intervals() {
    let tz = chrono_tz::Europe::Berlin;
    let day = date(2026, 10, 25);
    let (f, _, _) = simulate("0 * * * *", tz, day).await;
    check(
        &f,
        &expected(tz, day, &HOURS, &[0], false),
        "0 * * * * Berlin fall",
    );
    assert_eq!(f.len(), 24 + 25 + 24);
    let (f, start, end) = simulate("*/15 * * * *", tz, day).await;
    check(
        &f,
        &expected(tz, day, &HOURS, &[0, 15, 30, 45], false),
        "*/15 Berlin fall",
    );
    assert_eq!(f.len(), 96 + 100 + 96);
    assert_eq!((end - start).num_hours(), 73);
    for w in f.windows(2) {
        assert_eq!(
            w[1].scheduled_for - w[0].scheduled_for,
            chrono::Duration::minutes(15)
        );
    }
}

#[tokio::test(start_paused = true)]
async fn ho_chi_minh_has_no_dst() {
    let tz = chrono_tz::Asia::Ho_Chi_Minh;
    for day in [date(2026, 3, 29), date(2026, 10, 25)] {
        let (f, _, _) = simulate("30 2 * * *", tz, day).await;
        check(&f, &expected(tz, day, &[2], &[30], true), "30 2 HCM");
        assert_eq!(f.len(), 3);
        // 02:30 at UTC+7 is 19:30 UTC the day before.
        assert_eq!(
            f[1].scheduled_for,
            tz.from_local_datetime(&day.and_hms_opt(2, 30, 0).unwrap())
                .unwrap()
                .with_timezone(&Utc)
        );
        assert_eq!(f[1].scheduled_for.format("%H:%M").to_string(), "19:30");
        let (f, _, _) = simulate("0 * * * *", tz, day).await;
        check(&f, &expected(tz, day, &HOURS, &[0], false), "0 * HCM");
        assert_eq!(f.len(), 72);
        let (f, _, _) = simulate("*/15 * * * *", tz, day).await;
        check(
            &f,
            &expected(tz, day, &HOURS, &[0, 15, 30, 45], false),
            "*/15 HCM",
        );
        assert_eq!(f.len(), 288);
    }
}

#[tokio::test(start_paused = true)]
async fn missed_firings_coalesce_into_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let start = utc(2026, 11, 22, 0, 0);
    let clock = Clock::starting_at(start);
    let mut recorder = Recorder::new("slow", clock.clone());
    // Every run takes 40 minutes of a 15-minute schedule.
    recorder.busy = Duration::from_secs(40 * 60);
    let recorder = Arc::new(recorder);
    let stop = CancellationToken::new();
    let job_loop = JobLoop {
        scheduled: ScheduledJob {
            job: recorder.clone(),
            schedule: Schedule::parse("*/15 * * * *", "UTC").unwrap(),
        },
        ctx: test_context(dir.path()),
        clock: clock.clone(),
        observer: Arc::new(NoObserver),
        run_lock: Arc::default(),
        trigger: None,
    };
    let handle = tokio::spawn(job_loop.run(stop.clone()));
    clock.sleep_until(utc(2026, 11, 22, 2, 20)).await;
    stop.cancel();
    handle.await.unwrap();
    let got: Vec<(String, String)> = recorder
        .firings()
        .iter()
        .map(|f| {
            (
                f.scheduled_for.format("%H:%M").to_string(),
                f.at.format("%H:%M").to_string(),
            )
        })
        .collect();
    let want = [
        ("00:15", "00:15"),
        // 00:30 and 00:45 passed during the first run: one run, for the latest.
        ("00:45", "00:55"),
        // 01:00, 01:15, 01:30 passed during the second.
        ("01:30", "01:35"),
        ("02:15", "02:15"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(got, want);
}

#[tokio::test(start_paused = true)]
async fn one_job_never_runs_twice_at_once_even_across_loops() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::starting_at(utc(2026, 11, 22, 0, 0));
    let mut recorder = Recorder::new("busy", clock.clone());
    recorder.busy = Duration::from_secs(90);
    let recorder = Arc::new(recorder);
    // Two loops of the same job (what a reload produces for a moment) share its lock.
    let lock = Arc::new(tokio::sync::Mutex::new(()));
    let stop = CancellationToken::new();
    let mut handles = Vec::new();
    for _ in 0..2 {
        let job_loop = JobLoop {
            scheduled: ScheduledJob {
                job: recorder.clone(),
                schedule: Schedule::parse("* * * * *", "UTC").unwrap(),
            },
            ctx: test_context(dir.path()),
            clock: clock.clone(),
            observer: Arc::new(NoObserver),
            run_lock: lock.clone(),
            trigger: None,
        };
        handles.push(tokio::spawn(job_loop.run(stop.clone())));
    }
    clock.sleep_until(utc(2026, 11, 22, 0, 30)).await;
    stop.cancel();
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(
        recorder
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    let runs = recorder.firings();
    // 30 minutes of 90-second runs, back to back: 20 runs, never overlapping.
    assert!((19..=21).contains(&runs.len()), "{} runs", runs.len());
    for w in runs.windows(2) {
        assert!(w[1].at - w[0].at >= chrono::Duration::seconds(90), "{w:?}");
    }
}
