/*
Package audit is the portfolio's tamper evidence: the event hash, the
per-aggregate hash chain (the prevhash attribute), Ed25519 event
signatures, the running digest over the whole log, and the verification of
a log — online (VerifyLog over pages read from the store), offline (a JSONL
export, VerifyJSONL) or event by event (Inspect and Checked.Follows, used by
the read models and the command path to ignore forged events). It uses only
the standard library, so an auditor can build and read it on its own.
docs/AUDIT.md specifies every check precisely enough to re-implement it.

# Definitions

	h        = SHA-256(stored payload)                 // Hash, HashEvent
	prevhash = hex h of the aggregate's previous event  // absent for version 1
	header   Portfolio-Signature: ed25519;<keyid>;<base64 Ed25519(h)>
	keyid    = first 16 hex of SHA-256(32-byte public key)
	head_0   = 32 zero bytes; head_n = SHA-256(head_{n-1} || h_n)  // NextHead

# Verifying

A Verifier takes the events in stream order (Add) and keeps only each
aggregate's last good Link (hash and version). An event is bad when it does
not decode (DecodeEnvelope), its NATS subject does not match its envelope,
no trusted key signed its hash (Keyring.Check), its position does not
follow the previous one, or its prevhash and aggregateversion do not
continue the chain of its aggregate's last good event. Bad events enter
the running digest but no chain. Result reports ok, the number of events,
the head, the first bad position and why, missing positions, and — given
Options.Since, a Digest kept earlier — whether the log extends it and where
it first differs.

	v := audit.NewVerifier(audit.Options{Keys: audit.NewKeyring(pub)})
	for _, ev := range events {
		v.Add(ev)
	}
	res := v.Result()

# Exports

WriteJSONL writes a header line and one line per event ({position, subject,
hash, signature, raw}); VerifyJSONL and VerifyJSONLWith check one. Keys and
signing-key files: GenerateSigningKey, ReadSigningKey, ParsePublicKey,
PublicKeyPEM, EncodePublicKey.
*/
package audit
