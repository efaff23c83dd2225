// Package merge puts the bundles of a sharded mission's shard jobs into
// the merge job's report root: each shard bundle verified against its own
// SHA256SUMS, its shards' files under shards/<id>/ and its own files under
// jobs/<spec>/, and a record of every shard job the mission expects,
// including those whose artifact is missing or does not verify. The
// engine then runs the merge's phases over what was placed and seals one
// global ledger.
package merge

import (
	"github.com/helios-action/helios-action/internal/manifest"
)

// JobsDir is the folder of a merged bundle that holds each shard job's own
// files, one folder per shard spec: its SHA256SUMS, manifest.json, logs
// and what its unsharded phases wrote.
const JobsDir = "jobs"

// Volatile are the globs a merged bundle adds to its volatile files: the
// shard jobs' own files are records of those jobs (times, logs, runners),
// while what they made is under shards/ and counts.
var Volatile = []string{JobsDir + "/**"}

// Source is one shard job's bundle as the merge received it: the zip of
// its workflow artifact, downloaded.
type Source struct {
	// Spec is the shard job's shard input, read from the artifact's name
	// (<artifact-name>-<spec>): a shard id or K-of-N.
	Spec string
	// Artifact is the artifact's name, for messages and the manifest.
	Artifact string
	// Zip is the path of the downloaded zip.
	Zip string
}

// Placed is what Place wrote and found.
type Placed struct {
	// Shards has one entry per shard job the mission expects, sorted by
	// spec: those placed, and those missing or tampered. Tampered is
	// any artifact that cannot stand for the shard job its name says: its
	// zip does not match its ledger, holds something unsafe or over the
	// limits, writes outside its own shards' folders, or its manifest is
	// another shard job's, another mission's or no shard job's.
	Shards []manifest.Shard
	// Phases are the shards' records of their sharded phases' instances,
	// by instance name ("plan [eu-energy]"), as their manifests give them.
	// An instance of a shard that is missing or tampered is absent.
	Phases map[string]manifest.Phase
	// Problems each name a shard and say why it fails the merge: missing,
	// tampered, from another mission, covering a shard another artifact
	// covers, or its run did not succeed. Sorted by shard spec. Any
	// problem fails the merge.
	Problems []string
	// Notes are artifacts that were not used and why (a name whose suffix
	// is no shard of this mission).
	Notes []string
}
