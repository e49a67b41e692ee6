/**
 * Every problem an app meets in any target of the platform, found by rendering it for each channel
 * and a preview: what `slipway validate` reports in one run rather than one deploy at a time.
 */
import { isSlipwayError, type Problem } from "../core/errors.ts";
import { dedupe, type LoadedApp, type LoadedPlatform } from "../spec/parse.ts";
import { render } from "./render.ts";

export function targetProblems(app: LoadedApp, platform: LoadedPlatform): Problem[] {
  // A spec without a tag renders with a stand-in digest: the release supplies the real one.
  const image = app.spec.image.tag ? undefined : `${app.spec.image.repository}@sha256:${"0".repeat(64)}`;
  const targets = [
    ...platform.platform.channels.map((c) => c.name),
    ...(platform.platform.previews ? ["preview:validate"] : []),
  ];
  const problems: Problem[] = [];
  for (const target of targets) {
    try {
      render({ app, platform, target, ...(image ? { image } : {}) });
    } catch (error) {
      if (!isSlipwayError(error)) throw error;
      problems.push(
        ...(error.problems.length > 0
          ? error.problems
          : [
              { file: app.source.file, line: 1, column: 1, path: "", message: `${target}: ${error.message}` },
            ]),
      );
    }
  }
  return dedupe(problems);
}
