{
  "make_global_settings": [["LINK", "$(CC)"]],
  "targets": [
    {
      "target_name": "source-calls",
      "sources": [
        "native/caller-ids.c",
        "native/directory-calls.c",
        "native/file-calls.c",
        "native/name-calls.c",
        "native/napi-args.c",
        "native/node-calls.c",
        "native/source-calls.c",
        "native/xattr-calls.c"
      ]
    }
  ]
}
