{
  "make_global_settings": [["LINK", "$(CC)"]],
  "targets": [
    {
      "target_name": "fuse-session",
      "sources": ["native/fuse-session.c", "native/descriptor-io.c", "native/handle-table.c", "native/resident-reads.c", "native/request-helpers.c", "native/helper-backlog.c", "native/kernel-mount.c", "native/fuse-uring.c", "native/io-ring.c", "native/caller-cpu.c", "native/follow-policy.c", "native/read-on-policy.c", "native/listing-ends.c", "native/listing-replays.c", "native/directory-removals.c", "native/forget-log.c"]
    },
    {
      "target_name": "fuse-native-shim",
      "sources": ["native/fuse-native-shim.c"],
      "libraries": ["-ldl"]
    }
  ]
}
