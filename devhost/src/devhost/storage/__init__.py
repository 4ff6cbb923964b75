"""The parts of `devhost.store`, one concern each: the rows a batch becomes, the locks between
processes, the group commit, and the WAL checkpoints. `devhost.store.Store` puts them together
and is the only way in; nothing outside the store imports these."""
