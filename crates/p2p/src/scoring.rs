//! Gossipsub peer scoring: invalid messages weigh heavily, quiet peers are not punished.

use std::time::Duration;

use libp2p::gossipsub::{PeerScoreParams, PeerScoreThresholds, TopicHash, TopicScoreParams};

/// A connected peer whose score falls below this is disconnected and blocked. With
/// [`INVALID_MESSAGE_WEIGHT`] a peer crosses it with its third rejected message (the penalty is
/// the square of the count: -10, -40, -90).
pub const BLOCK_SCORE_THRESHOLD: f64 = -50.0;

/// Weight of the squared count of rejected messages (gossipsub P4), per topic.
const INVALID_MESSAGE_WEIGHT: f64 = -10.0;
/// Per-second decay of the rejected-message count (half-life about 70 s).
const INVALID_MESSAGE_DECAY: f64 = 0.99;

/// The scoring parameters for `topics`.
pub(crate) fn params<'a>(topics: impl Iterator<Item = &'a TopicHash>) -> PeerScoreParams {
    let topic = TopicScoreParams {
        topic_weight: 1.0,
        // P1: a small bonus for time in the mesh (at most +1), so that it cannot offset penalties.
        time_in_mesh_weight: 0.01,
        time_in_mesh_quantum: Duration::from_secs(1),
        time_in_mesh_cap: 100.0,
        // P2: a small bonus for first deliveries (at most +5).
        first_message_deliveries_weight: 0.1,
        first_message_deliveries_decay: 0.9,
        first_message_deliveries_cap: 50.0,
        // P3/P3b off: transactions are bursty, a quiet mesh peer is not misbehaving.
        mesh_message_deliveries_weight: 0.0,
        mesh_failure_penalty_weight: 0.0,
        // P4: rejected messages.
        invalid_message_deliveries_weight: INVALID_MESSAGE_WEIGHT,
        invalid_message_deliveries_decay: INVALID_MESSAGE_DECAY,
        ..TopicScoreParams::default()
    };
    PeerScoreParams {
        topics: topics.map(|hash| (hash.clone(), topic.clone())).collect(),
        topic_score_cap: 10.0,
        // Off: several honest nodes often share one host or NAT (the devnet: all on loopback).
        ip_colocation_factor_weight: 0.0,
        ..PeerScoreParams::default()
    }
}

/// Below `gossip`: no gossip exchanged; below `publish`: not published to; below `graylist`:
/// everything from the peer is ignored (the peer is blocked at [`BLOCK_SCORE_THRESHOLD`]).
pub(crate) fn thresholds() -> PeerScoreThresholds {
    PeerScoreThresholds {
        gossip_threshold: -20.0,
        publish_threshold: -40.0,
        graylist_threshold: -60.0,
        ..PeerScoreThresholds::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_are_valid_and_ordered() {
        let hash = TopicHash::from_raw("t");
        let params = params(std::iter::once(&hash));
        params.validate().unwrap();
        thresholds().validate().unwrap();
        // A peer is blocked before it is graylisted (so it is disconnected, not just ignored).
        assert!(thresholds().graylist_threshold < BLOCK_SCORE_THRESHOLD);
        // Two rejected messages do not block a peer, three do (positive score is capped at 10).
        let penalty = |n: f64| INVALID_MESSAGE_WEIGHT * n * n;
        assert!(penalty(2.0) + params.topic_score_cap > BLOCK_SCORE_THRESHOLD);
        assert!(penalty(3.0) + params.topic_score_cap < BLOCK_SCORE_THRESHOLD);
    }
}
