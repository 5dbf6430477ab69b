/** The edgewatch release, reported by --version and the build_info metrics. */
export const EDGEWATCH_VERSION = '0.1.0';
