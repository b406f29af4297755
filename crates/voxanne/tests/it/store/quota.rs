//! The quota's ledger: counted in the database, so two processes (here two pools on one
//! database, as two `serve` processes would hold) never grant more than the limit between them.

use voxanne::store::{MINUTE_MS, QuotaLimitsPatch, QuotaWindow, Reservation};

use crate::support::store::TestStore;

fn granted(reservation: &Reservation) -> bool {
    matches!(reservation, Reservation::Granted { .. })
}

#[tokio::test]
async fn two_pools_reserving_at_once_grant_exactly_the_limit() {
    let (t, org) = TestStore::with_clinic().await;
    t.store
        .set_quota_limits(
            &org.id,
            QuotaLimitsPatch {
                texts_per_minute: Some(7),
                texts_per_day: None,
            },
        )
        .await
        .unwrap();
    let other = t.reopen_with(vec![t.key.clone()]).await;
    let now = voxanne::outbox::now_ms();

    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = if i % 2 == 0 {
            t.store.clone()
        } else {
            other.clone()
        };
        let org = org.id.clone();
        tasks.push(tokio::spawn(async move {
            store.reserve_texts(&org, 1, now).await.unwrap()
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }

    assert_eq!(answers.iter().filter(|a| granted(a)).count(), 7);
    for refused in answers.iter().filter(|a| !granted(a)) {
        assert!(
            matches!(refused, Reservation::Refused { window: QuotaWindow::Minute, limit: 7, used: 7, retry_after_ms } if (1..=MINUTE_MS).contains(retry_after_ms)),
            "{refused:?}"
        );
    }
}

#[tokio::test]
async fn texts_leave_the_minute_window_but_stay_in_the_day() {
    let (t, org) = TestStore::with_clinic().await;
    t.store
        .set_quota_limits(
            &org.id,
            QuotaLimitsPatch {
                texts_per_minute: Some(2),
                texts_per_day: Some(3),
            },
        )
        .await
        .unwrap();
    let start = voxanne::outbox::now_ms();

    let first = t.store.reserve_texts(&org.id, 2, start).await.unwrap();
    let full = t
        .store
        .reserve_texts(&org.id, 1, start + 1_000)
        .await
        .unwrap();
    let next_minute = t
        .store
        .reserve_texts(&org.id, 1, start + MINUTE_MS + 1)
        .await
        .unwrap();
    let day_full = t
        .store
        .reserve_texts(&org.id, 1, start + 2 * MINUTE_MS)
        .await
        .unwrap();

    assert!(granted(&first));
    assert_eq!(
        full,
        Reservation::Refused {
            window: QuotaWindow::Minute,
            limit: 2,
            used: 2,
            retry_after_ms: MINUTE_MS - 1_000
        }
    );
    assert!(granted(&next_minute));
    assert!(
        matches!(
            day_full,
            Reservation::Refused {
                window: QuotaWindow::Day,
                limit: 3,
                used: 3,
                ..
            }
        ),
        "{day_full:?}"
    );
}

#[tokio::test]
async fn a_released_reservation_no_longer_counts() {
    let (t, org) = TestStore::with_clinic().await;
    t.store
        .set_quota_limits(
            &org.id,
            QuotaLimitsPatch {
                texts_per_minute: Some(1),
                texts_per_day: None,
            },
        )
        .await
        .unwrap();
    let now = voxanne::outbox::now_ms();
    let Reservation::Granted { ledger_id } = t.store.reserve_texts(&org.id, 1, now).await.unwrap()
    else {
        panic!("the first text must fit");
    };

    t.store.release_texts(&org.id, ledger_id).await.unwrap();

    assert!(granted(
        &t.store.reserve_texts(&org.id, 1, now).await.unwrap()
    ));
}

#[tokio::test]
async fn another_organizations_id_reserves_nothing() {
    let (t, _org) = TestStore::with_clinic().await;
    let missing = voxanne::ids::OrgId::generate();

    let err = t.store.reserve_texts(&missing, 1, 0).await.unwrap_err();

    assert!(
        matches!(err, voxanne::store::StoreError::NotFound { .. }),
        "{err:?}"
    );
}
