//! Gossip topics, versioned by the network they belong to.

use libp2p::gossipsub::{IdentTopic, TopicHash};

/// What a gossip message carries; the p2p layer does not look inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// L2 transactions.
    Transactions,
    /// Signed epoch proof quotes.
    Quotes,
    /// Block proposal hints (L1 stays the source of truth).
    Proposals,
    /// Committee mode: a proposer's block, sent to its committee for sign-off.
    SignoffRequests,
    /// Committee mode: the members' sign-offs.
    Signoffs,
    /// Committee mode: the members' chunk proofs.
    ChunkProofs,
}

impl Topic {
    /// Every topic; a node subscribes to all of them.
    pub const ALL: [Topic; 6] = [
        Topic::Transactions,
        Topic::Quotes,
        Topic::Proposals,
        Topic::SignoffRequests,
        Topic::Signoffs,
        Topic::ChunkProofs,
    ];

    /// The topic's short name.
    pub fn name(self) -> &'static str {
        match self {
            Topic::Transactions => "txs",
            Topic::Quotes => "quotes",
            Topic::Proposals => "proposals",
            Topic::SignoffRequests => "signoff-requests",
            Topic::Signoffs => "signoffs",
            Topic::ChunkProofs => "chunk-proofs",
        }
    }

    /// The gossipsub topic on `network` (`/fernet/<network>/<name>/1`): nodes of two networks
    /// (another chain id or rollup) never share a topic.
    pub fn ident(self, network: &str) -> IdentTopic {
        IdentTopic::new(format!("/fernet/{network}/{}/1", self.name()))
    }
}

/// The topic hashes of one network, to map received messages back to a [`Topic`].
#[derive(Debug, Clone)]
pub(crate) struct Topics {
    hashes: Vec<(Topic, TopicHash)>,
}

impl Topics {
    pub(crate) fn new(network: &str) -> Self {
        Self {
            hashes: Topic::ALL
                .into_iter()
                .map(|topic| (topic, topic.ident(network).hash()))
                .collect(),
        }
    }

    pub(crate) fn hash(&self, topic: Topic) -> TopicHash {
        self.hashes
            .iter()
            .find(|(t, _)| *t == topic)
            .map(|(_, hash)| hash.clone())
            .unwrap_or_else(|| unreachable!("every topic has a hash"))
    }

    pub(crate) fn topic(&self, hash: &TopicHash) -> Option<Topic> {
        self.hashes
            .iter()
            .find(|(_, h)| h == hash)
            .map(|(topic, _)| *topic)
    }

    pub(crate) fn hashes(&self) -> impl Iterator<Item = &TopicHash> {
        self.hashes.iter().map(|(_, hash)| hash)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_differ_per_network_and_kind() {
        let a = Topics::new("31337-0xaa");
        let b = Topics::new("31337-0xbb");
        for topic in Topic::ALL {
            assert_ne!(a.hash(topic), b.hash(topic), "{topic:?}");
            assert_eq!(a.topic(&a.hash(topic)), Some(topic));
            assert_eq!(b.topic(&a.hash(topic)), None);
        }
        assert_eq!(
            Topic::Quotes.ident("1-0xaa").to_string(),
            "/fernet/1-0xaa/quotes/1"
        );
    }
}
