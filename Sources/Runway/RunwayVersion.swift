/// Runway's version.
public enum RunwayVersion {
    /// The release this build belongs to.
    public static let current = "0.1.0"
}
