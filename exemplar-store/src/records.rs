//! The records of the journal and their CBOR payloads.
//!
//! Payloads are CBOR maps with numbered fields (minicbor's derive): a reader ignores fields it
//! does not know, and record kinds it does not know are skipped, so newer writers stay readable.

use minicbor::bytes::ByteArray;
use minicbor::{Decode, Encode};

use crate::errors::{Result, StoreError};

/// Kind numbers on disk.
pub mod kind {
    /// [`super::RunStart`].
    pub const RUN_START: u16 = 1;
    /// [`super::Outcome`].
    pub const OUTCOME: u16 = 2;
    /// [`super::Blob`].
    pub const BLOB: u16 = 3;
    /// [`super::RunEnd`].
    pub const RUN_END: u16 = 4;
    /// [`super::Gap`].
    pub const GAP: u16 = 5;
    /// [`super::TestDef`].
    pub const TEST: u16 = 6;
    /// [`super::TestResult`].
    pub const RESULT: u16 = 7;
    /// [`super::Pruned`].
    pub const PRUNED: u16 = 8;
    /// [`super::DesignPatched`].
    pub const DESIGN_PATCH: u16 = 9;

    /// The name of a kind, as `journal verify` counts them (`None`: unknown to this version).
    pub fn name(kind: u16) -> Option<&'static str> {
        Some(match kind {
            RUN_START => "run-start",
            OUTCOME => "outcome",
            BLOB => "blob",
            RUN_END => "run-end",
            GAP => "gap",
            TEST => "test",
            RESULT => "result",
            PRUNED => "pruned",
            DESIGN_PATCH => "design-patch",
            _ => return None,
        })
    }
}

/// A node's fingerprint at the start of a run.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[cbor(map)]
pub struct NodeStamp {
    /// Node id.
    #[n(0)]
    pub id: String,
    /// Fingerprint, hex.
    #[n(1)]
    pub fingerprint: String,
}

/// A mission's design at the start of a run.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[cbor(map)]
pub struct MissionStamp {
    /// Mission id.
    #[n(0)]
    pub mission: String,
    /// Package.
    #[n(1)]
    pub package: String,
    /// Every node's fingerprint.
    #[n(2)]
    pub nodes: Vec<NodeStamp>,
    /// The address of a blob holding the design itself (a JSON `DesignSnapshot` of
    /// exemplar-formats), so the design a run measured can be shown as it was; `None` in runs
    /// recorded before runs kept it.
    #[n(3)]
    pub design: Option<ByteArray<32>>,
}

/// The first record of a run.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[cbor(map)]
pub struct RunStart {
    /// Unique run id.
    #[n(0)]
    pub run_id: String,
    /// Unix seconds.
    #[n(1)]
    pub started_at: i64,
    /// `1a2b3c4` or `1a2b3c4+dirty`.
    #[n(2)]
    pub commit: Option<String>,
    /// `--note`.
    #[n(3)]
    pub note: Option<String>,
    /// The design of each mission.
    #[n(4)]
    pub missions: Vec<MissionStamp>,
    /// Which tests the run meant to run (`None` in journals written before 0.1.0 kept it).
    #[n(5)]
    pub scope: Option<RunScope>,
}

/// Which tests a run meant to run, besides its missions' packages: enough to tell, after it,
/// which of them are still outstanding (`run --rerun-failed`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct RunScope {
    /// The design filter: directive ids, subtrees included (`None`: no filter; empty: a
    /// filter that selects nothing, as `--changed` with nothing changed).
    #[n(0)]
    pub design: Option<Vec<String>>,
    /// The arguments for the harness (name filters, `--ignored`, ...).
    #[n(1)]
    pub harness_args: Vec<String>,
    /// Only these test targets: `--lib`, `--bins`, `--test NAME` (empty: all of them).
    #[n(2)]
    pub targets: Vec<String>,
    /// The run re-ran the outstanding tests of this run (`--rerun-failed`).
    #[n(3)]
    pub rerun_of: Option<String>,
    /// The shard this run is of a partitioned run (`hash:1/3`), whose other tests ran
    /// elsewhere (see [`RunEnd::other_shards`]).
    #[n(4)]
    pub partition: Option<String>,
    /// The CI run the shard belongs to (`--run-group`, or the CI's run id): the shards with
    /// the same commit and group are merged into one run.
    #[n(5)]
    pub run_group: Option<String>,
    /// A merged run: the shard runs it is the union of.
    #[n(6)]
    #[cbor(default)]
    pub merged_from: Vec<String>,
    /// A run another runner ran, ingested from its reports (`junit:PATH`,
    /// `pytest-reportlog:PATH`): exemplar cannot run its tests again.
    #[n(7)]
    pub ingested_from: Option<String>,
}

/// A BLAKE3 content address.
pub type Hash = [u8; 32];

/// One test outcome.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[cbor(map)]
pub struct Outcome {
    /// The run.
    #[n(0)]
    pub run_id: String,
    /// Mission id.
    #[n(1)]
    pub mission: String,
    /// `tests/kv.rs::wal_ordering`.
    #[n(2)]
    pub reference: String,
    /// Design ids.
    #[n(3)]
    pub ids: Vec<String>,
    /// The outcome's code ([`exemplar_formats::Outcome::code`]: 0 passed, 1 failed,
    /// 2 ignored, 3 crashed, 4 timeout).
    #[n(4)]
    pub outcome: u8,
    /// Seconds.
    #[n(5)]
    pub duration: f64,
    /// Content address of the failure message.
    #[n(6)]
    pub message: Option<ByteArray<32>>,
    /// Content address of captured output.
    #[n(7)]
    pub output: Option<ByteArray<32>>,
    /// Test binary.
    #[n(8)]
    pub binary: String,
    /// Source line.
    #[n(9)]
    pub line: u32,
}

/// A test, defined once so that its results need not repeat it: what an [`Outcome`] says of
/// its test besides the run. Its id is derived from that content (see [`TestDef::new`]), so
/// every writer gives the same test the same id without asking anyone, and writing the
/// definition again is harmless.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct TestDef {
    /// The first 8 bytes of the BLAKE3 of the other fields (little-endian).
    #[n(0)]
    pub id: u64,
    /// Mission id.
    #[n(1)]
    pub mission: String,
    /// `tests/kv.rs::wal_ordering`.
    #[n(2)]
    pub reference: String,
    /// Test binary.
    #[n(3)]
    pub binary: String,
    /// Source line.
    #[n(4)]
    pub line: u32,
    /// Design ids.
    #[n(5)]
    pub ids: Vec<String>,
}

impl TestDef {
    /// The definition of a test, with the id its content gives it.
    pub fn new(mission: &str, reference: &str, binary: &str, line: u32, ids: &[String]) -> Self {
        TestDef {
            id: TestDef::id_of(mission, reference, binary, line, ids),
            mission: mission.to_owned(),
            reference: reference.to_owned(),
            binary: binary.to_owned(),
            line,
            ids: ids.to_vec(),
        }
    }

    /// The id of the test with this content: the first 8 bytes (little-endian) of the BLAKE3
    /// of mission, reference and binary (each ended by 0x1f), the line (4 bytes LE) and each
    /// id (ended by 0x1e).
    pub fn id_of(mission: &str, reference: &str, binary: &str, line: u32, ids: &[String]) -> u64 {
        let mut h = blake3::Hasher::new();
        for part in [mission, reference, binary] {
            h.update(part.as_bytes());
            h.update(&[0x1f]);
        }
        h.update(&line.to_le_bytes());
        for id in ids {
            h.update(id.as_bytes());
            h.update(&[0x1e]);
        }
        let mut id = [0u8; 8];
        id.copy_from_slice(&h.finalize().as_bytes()[..8]);
        u64::from_le_bytes(id)
    }

    /// The definition of the test of a full outcome record.
    pub fn of(o: &Outcome) -> Self {
        TestDef::new(&o.mission, &o.reference, &o.binary, o.line, &o.ids)
    }

    /// The full outcome record of `result`, of this test, in run `run_id`.
    pub fn outcome(&self, run_id: &str, result: &TestResult) -> Outcome {
        Outcome {
            run_id: run_id.to_owned(),
            mission: self.mission.clone(),
            reference: self.reference.clone(),
            ids: self.ids.clone(),
            outcome: result.outcome,
            duration: result.duration,
            message: result.message,
            output: result.output,
            binary: self.binary.clone(),
            line: self.line,
        }
    }
}

/// One test's outcome in the compact form: its test by id (a [`TestDef`] written before it)
/// and, implied, the run whose start record is the last one before it in the log. A steady
/// run writes one of these per test, 48 bytes on disk with its frame.
#[derive(Debug, Clone, Copy, PartialEq, Encode, Decode)]
#[cbor(map)]
pub struct TestResult {
    /// The [`TestDef`] id.
    #[n(0)]
    pub test: u64,
    /// The outcome's code ([`exemplar_formats::Outcome::code`]).
    #[n(1)]
    pub outcome: u8,
    /// Seconds.
    #[n(2)]
    pub duration: f64,
    /// Content address of the failure message.
    #[n(3)]
    pub message: Option<ByteArray<32>>,
    /// Content address of captured output.
    #[n(4)]
    pub output: Option<ByteArray<32>>,
}

impl TestResult {
    /// The result part of a full outcome record, for test `test`.
    pub fn of(test: u64, o: &Outcome) -> Self {
        TestResult {
            test,
            outcome: o.outcome,
            duration: o.duration,
            message: o.message,
            output: o.output,
        }
    }
}

/// Content stored once by its BLAKE3 hash.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[cbor(map)]
pub struct Blob {
    /// BLAKE3 of `bytes`.
    #[n(0)]
    pub hash: ByteArray<32>,
    /// The content.
    #[n(1)]
    #[cbor(with = "minicbor::bytes")]
    pub bytes: Vec<u8>,
}

/// Loss of one node at the end of a run.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[cbor(map)]
pub struct NodeLoss {
    /// Node id.
    #[n(0)]
    pub id: String,
    /// Direct loss.
    #[n(1)]
    pub loss: f64,
}

/// Loss of one mission at the end of a run.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[cbor(map)]
pub struct MissionLoss {
    /// Mission id.
    #[n(0)]
    pub mission: String,
    /// Mission loss.
    #[n(1)]
    pub loss: f64,
    /// Per measured node.
    #[n(2)]
    pub nodes: Vec<NodeLoss>,
}

/// The last record of a run.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[cbor(map)]
pub struct RunEnd {
    /// The run.
    #[n(0)]
    pub run_id: String,
    /// Unix seconds.
    #[n(1)]
    pub ended_at: i64,
    /// passed, failed, ignored, crashed, timeout.
    #[n(2)]
    pub counts: Vec<u64>,
    /// Loss per mission.
    #[n(3)]
    pub losses: Vec<MissionLoss>,
    /// The tests a partitioned run dealt to its other shards, by [`TestDef`] id (each test's
    /// definition is in the journal before this record): with the outcomes of the run, its
    /// whole inventory.
    #[n(4)]
    #[cbor(default)]
    pub other_shards: Vec<u64>,
}

/// Written by repair in place of lost records: sequence numbers `from..=to` (the gap record's
/// own number is `from`) were lost with a damaged segment.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[cbor(map)]
pub struct Gap {
    /// First lost sequence number.
    #[n(0)]
    pub from: u64,
    /// Last lost sequence number.
    #[n(1)]
    pub to: u64,
    /// Where the damage was.
    #[n(2)]
    pub reason: String,
}

/// The runs `journal prune` removed from the log, written as the first record of the log it
/// rewrote: every run pruned so far, this prune's and earlier ones', so that a later import
/// of a pruned run is known as one.
#[derive(Debug, Clone, PartialEq, Encode, Decode)]
#[cbor(map)]
pub struct Pruned {
    /// The runs.
    #[n(0)]
    pub runs: Vec<PrunedRun>,
}

/// A run removed by `journal prune`.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct PrunedRun {
    /// The run's id.
    #[n(0)]
    pub run_id: String,
    /// When it was pruned, unix seconds.
    #[n(1)]
    pub pruned_at: i64,
}

/// A design patch applied to a mission file, with its lineage: the design it was made
/// against and the design it made (design fingerprints, hex), its operations, why and by whom.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
#[cbor(map)]
pub struct DesignPatched {
    /// Mission id.
    #[n(0)]
    pub mission: String,
    /// The package whose mission it is.
    #[n(1)]
    pub package: String,
    /// When it was applied, unix milliseconds.
    #[n(2)]
    pub at_ms: i64,
    /// The design fingerprint before the patch.
    #[n(3)]
    pub base: String,
    /// The design fingerprint after it.
    #[n(4)]
    pub result: String,
    /// The operations, as the JSON array of an `exemplar-design-patch` document.
    #[n(5)]
    pub operations: String,
    /// Why.
    #[n(6)]
    pub note: Option<String>,
    /// Who.
    #[n(7)]
    pub author: Option<String>,
}

/// A decoded record.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A run began.
    RunStart(RunStart),
    /// A test outcome.
    Outcome(Outcome),
    /// A content-addressed blob.
    Blob(Blob),
    /// A run ended.
    RunEnd(RunEnd),
    /// Records lost and acknowledged by repair.
    Gap(Gap),
    /// A test's definition.
    Test(TestDef),
    /// A test's outcome in the current run, in the compact form.
    Result(TestResult),
    /// Runs removed by `journal prune`.
    Pruned(Pruned),
    /// A design patch.
    DesignPatch(DesignPatched),
}

impl Record {
    /// The kind number.
    pub fn kind(&self) -> u16 {
        match self {
            Record::RunStart(_) => kind::RUN_START,
            Record::Outcome(_) => kind::OUTCOME,
            Record::Blob(_) => kind::BLOB,
            Record::RunEnd(_) => kind::RUN_END,
            Record::Gap(_) => kind::GAP,
            Record::Test(_) => kind::TEST,
            Record::Result(_) => kind::RESULT,
            Record::Pruned(_) => kind::PRUNED,
            Record::DesignPatch(_) => kind::DESIGN_PATCH,
        }
    }

    /// The CBOR payload.
    pub fn encode(&self) -> Vec<u8> {
        let r = match self {
            Record::RunStart(r) => minicbor::to_vec(r),
            Record::Outcome(r) => minicbor::to_vec(r),
            Record::Blob(r) => minicbor::to_vec(r),
            Record::RunEnd(r) => minicbor::to_vec(r),
            Record::Gap(r) => minicbor::to_vec(r),
            Record::Test(r) => minicbor::to_vec(r),
            Record::Result(r) => minicbor::to_vec(r),
            Record::Pruned(r) => minicbor::to_vec(r),
            Record::DesignPatch(r) => minicbor::to_vec(r),
        };
        r.unwrap_or_default()
    }

    /// Decode a payload; `Ok(None)` for a kind this version does not know.
    pub fn decode(kind: u16, seq: u64, payload: &[u8]) -> Result<Option<Record>> {
        fn d<'b, T: Decode<'b, ()>>(k: &'static str, seq: u64, p: &'b [u8]) -> Result<T> {
            minicbor::decode(p).map_err(|e| StoreError::Decode {
                kind: k,
                seq,
                detail: e.to_string(),
            })
        }
        Ok(Some(match kind {
            kind::RUN_START => Record::RunStart(d("run-start", seq, payload)?),
            kind::OUTCOME => Record::Outcome(d("outcome", seq, payload)?),
            kind::BLOB => Record::Blob(d("blob", seq, payload)?),
            kind::RUN_END => Record::RunEnd(d("run-end", seq, payload)?),
            kind::GAP => Record::Gap(d("gap", seq, payload)?),
            kind::TEST => Record::Test(d("test", seq, payload)?),
            kind::RESULT => Record::Result(d("result", seq, payload)?),
            kind::PRUNED => Record::Pruned(d("pruned", seq, payload)?),
            kind::DESIGN_PATCH => Record::DesignPatch(d("design-patch", seq, payload)?),
            _ => return Ok(None),
        }))
    }
}

/// The blob record for some content, and its address.
pub fn blob(bytes: &[u8]) -> (Hash, Record) {
    let hash = *blake3::hash(bytes).as_bytes();
    (
        hash,
        Record::Blob(Blob {
            hash: ByteArray::from(hash),
            bytes: bytes.to_vec(),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Encode)]
    #[cbor(map)]
    struct FutureOutcome {
        #[n(0)]
        run_id: String,
        #[n(1)]
        mission: String,
        #[n(2)]
        reference: String,
        #[n(3)]
        ids: Vec<String>,
        #[n(4)]
        outcome: u8,
        #[n(5)]
        duration: f64,
        #[n(8)]
        binary: String,
        #[n(9)]
        line: u32,
        #[n(42)]
        something_new: Vec<u64>,
    }

    #[test]
    fn unknown_fields_and_kinds_are_skipped() {
        let future = FutureOutcome {
            run_id: "r".into(),
            mission: "m".into(),
            reference: "t.rs::a".into(),
            ids: vec!["S1".into()],
            outcome: 0,
            duration: 0.5,
            binary: "t".into(),
            line: 3,
            something_new: vec![1, 2, 3],
        };
        let bytes = minicbor::to_vec(&future).unwrap();
        let Some(Record::Outcome(o)) = Record::decode(kind::OUTCOME, 1, &bytes).unwrap() else {
            panic!("not an outcome");
        };
        assert_eq!(
            (o.reference.as_str(), o.line, o.message),
            ("t.rs::a", 3, None)
        );
        assert_eq!(Record::decode(999, 1, b"anything").unwrap(), None);
    }

    #[test]
    fn records_round_trip() {
        let (hash, b) = blob(b"assertion failed");
        assert_eq!(
            Record::decode(b.kind(), 1, &b.encode()).unwrap(),
            Some(b.clone())
        );
        assert_eq!(hash, *blake3::hash(b"assertion failed").as_bytes());
    }
}
