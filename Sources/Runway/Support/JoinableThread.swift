#if canImport(FoundationEssentials)
    import FoundationEssentials
    import Glibc
#else
    import Foundation
#endif

/// A POSIX thread whose result is taken with `pthread_join`: after the thread has completely ended, thread-local
/// destructors included.
///
/// libpq's OpenSSL keeps per-thread state that a thread-exit destructor frees. A result handed over before the
/// thread has ended (a Foundation `Thread` signalling a condition) lets the process exit while that destructor still
/// runs, and OpenSSL's own exit clean-up then frees the same state again (a double free AddressSanitizer reported
/// in CI). Joining first closes that window.
final class JoinableThread<Value>: @unchecked Sendable {
    private var thread = pthread_t()
    private var value: Value?
    private var joined = false
    private let lock = Lock()

    /// Starts `body` on a new thread with the given stack size.
    init(stackSize: Int = 8 << 20, _ body: @escaping @Sendable () -> Value) {
        let start = ThreadStart { self.value = body() }  // keeps self alive until the thread has run
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, stackSize)
        defer { pthread_attr_destroy(&attributes) }
        let context = Unmanaged.passRetained(start).toOpaque()
        let created = pthread_create(
            &thread, &attributes,
            { context in
                Unmanaged<ThreadStart>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            }, context)
        if created != 0 {
            // No thread: run here, so the caller still gets a value.
            Unmanaged<ThreadStart>.fromOpaque(context).release()
            value = body()
            joined = true
        }
    }

    /// Waits until the thread has ended and returns what `body` returned. Safe to call more than once.
    func join() -> Value {
        lock.lock()
        defer { lock.unlock() }
        if !joined {
            pthread_join(thread, nil)
            joined = true
        }
        return value!
    }
}

/// What a ``JoinableThread`` runs, passed through `pthread_create`'s context pointer.
private final class ThreadStart {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}
