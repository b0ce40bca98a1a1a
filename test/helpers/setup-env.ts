// These machines run Node 20; the SDK warns once per process that 2027 releases need Node 22. The lock
// file pins pre-2027 SDK versions and AWS runs Node 24, so the warning is noise in test output. Child
// processes (workers, emulators) inherit it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
