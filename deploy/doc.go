// Package deploy publishes a built site to S3 and invalidates what changed on
// CloudFront (qdn sync), promotes one environment to another (qdn promote),
// and publishes the edge function to CloudFront Functions (Function, qdn edge
// publish).
//
// Data flows in two steps. Planning is pure: NewPlan compares the local
// output (Files, built by package generator) with a listing of the bucket
// and the manifest that the previous sync left in it (.qdn/manifest.json under
// the environment's prefix), and returns a Plan holding every key to upload
// or delete with its reason, and the exact CloudFront paths to invalidate.
// A File holds its path, hash, size and headers, not its bytes, nor the
// build's output, which is freed once the Files are made. Files takes
// the hash and size the build knows of each page it wrote or its cache
// trusted (generator.Output.Sum), and reads and hashes only the others; a
// file is read from public/ when it is uploaded, and refused (ChangedError)
// unless it still has the hash and size planned. A sync's memory follows
// the number of objects and those in flight, not the size of the site. On
// a large bucket the listing may cover a part only, in turn (see
// Syncer.CheckEvery); the rest is taken from the manifest, and a part that
// differs from it makes the sync list everything. The check a sync leaves
// (.qdn/check.json) names the next part and its ranges, so that the next
// sync lists it while it reads the manifest. The plan looks keys up in the
// listing and the manifest as they were read (a partial listing is not
// completed into a copy of the bucket), so that what planning allocates
// beyond them follows what changed. The manifest is held as a slice of
// entries sorted by path, with raw SHA-256 hashes; from an Opener (S3) it
// is decoded as it arrives, and once planned its entries share the path
// strings of the Files. To a Streamer (S3) the next manifest is written
// as it is encoded, and Plan.WriteJSON writes a plan one action at a time.
// `qdn sync --dry-run` prints that plan and the tests assert it. Applying is
// separate: Syncer.Apply uploads assets, then HTML, then deletes, then writes
// the manifest, then invalidates, each step only if the ones before
// succeeded.
//
// A sync never leaves the CDN stale: the paths to invalidate are written to
// .qdn/pending.json before the first upload and removed only once CloudFront
// accepted them, so a sync that was killed is finished by the next one. A
// lock object (.qdn/lock.json) keeps two syncs of one environment from
// interleaving. It is a Lease: the running sync renews it, and one that
// died (a cancelled CI job) blocks the next one for no longer than the
// lease. Every write of it is conditional on the ETag its writer read.
//
// Promotion (qdn promote) follows the same two steps between two
// environments: NewPromotion compares the manifests and listings of the
// source and the destination and returns a Promotion, and Promoter.Apply
// copies what differs server-side (a Copier, such as S3 with CopyObject),
// deletes, writes the destination's manifest and invalidates, under the
// destination's lock and pending invalidation, as a sync does: both describe
// their work as a change and run the one apply loop of Syncer, which takes
// how an object gets to the bucket (put local bytes, or copy server-side).
//
// A sync talks to storage through the small Bucket interface and to the CDN
// through Invalidator; S3 and CloudFront implement them with the AWS SDK.
// Open is the one place that builds the AWS clients of an environment, for
// every command: it documents which setting wins where two could apply.
//
// Status (qdn status) reports an environment from what a sync reads anyway
// (Fetch, the lock) and a plan it never applies, with the edge function's
// stages (Function.Status) and CloudFront's metrics from CloudWatch
// (CloudWatch.Read); each section that cannot be read says why and leaves
// the others alone.
package deploy
