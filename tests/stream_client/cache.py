"""The browser's cache of large ForwardMsgs, as Streamlit's front end keeps it.

The server sends a message marked `cacheable` in full once; while the client lists its hash in
`ClientState.cached_message_hashes`, the server sends only a `ref_hash` instead. The front end
(ForwardMessageCache) ages entries by runs: after each run that finished (not one stopped for
a rerun), an entry not seen for more than `max_cached_message_age` runs is dropped; a fragment
run ages only that fragment's entries. The hashes a client lists cost the server too (they
travel with every rerun request), so this client keeps the same set a browser would.
"""

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


class MessageCache:
    def __init__(self):
        self.runs = 0
        self._entries = {}  # hash -> [message, run last seen, fragment id or ""]

    def hashes(self):
        return list(self._entries)

    def resolve(self, message):
        """The message to read: a `ref_hash` replaced by the cached one (None if unknown)."""
        if message.WhichOneof("type") == "ref_hash":
            entry = self._entries.get(message.ref_hash)
            if entry is None:
                return None  # never listed by this client: not sent by reference
            entry[1] = self.runs
            full = ForwardMsg()
            full.CopyFrom(entry[0])
            full.metadata.CopyFrom(message.metadata)  # where it goes this time
            return full
        if message.metadata.cacheable and message.hash:
            if message.hash in self._entries:
                self._entries[message.hash][1] = self.runs
            else:
                fragment_id = message.delta.fragment_id if message.HasField("delta") else ""
                self._entries[message.hash] = [message, self.runs, fragment_id]
        return message

    def run_finished(self, max_age, fragment_ids):
        """Ages the entries after a run that finished; `fragment_ids` of a fragment run."""
        self.runs += 1
        for digest, (_, seen, fragment_id) in list(self._entries.items()):
            if fragment_ids and fragment_id not in fragment_ids:
                continue  # a fragment run ages its own fragment's messages only
            if self.runs - seen > max_age:
                del self._entries[digest]
