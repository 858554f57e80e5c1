/* A stand-in for the macOS SDK's TargetConditionals.h, which Debian does not
 * have: enough for `ring`'s C sources (include/ring-core/base.h) to compile
 * for `cargo clippy --target aarch64-apple-darwin` in .ci/run. Nothing here
 * is linked: a macOS binary is built on macOS, with the real SDK. */
#ifndef GETTOKEN_TARGET_CONDITIONALS_H
#define GETTOKEN_TARGET_CONDITIONALS_H
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#define TARGET_OS_TV 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_SIMULATOR 0
#endif
