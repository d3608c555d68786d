/**
 * The effective per-project settings when project admins set their own
 * through the admin API (`PUT /api/v1/projects/NAME/settings`, stored with
 * the project in the identity store): a project's stored settings when it
 * has some, laid key by key over the operator's file `defaults`; a project
 * without stored settings gets what the file says for it (its own section,
 * or the defaults). The operator's file stays the floor every project starts
 * from; a key a project leaves null falls back to the file's default.
 *
 * No cache: every push's quota check and every collection reads the store
 * (one primary-key lookup), so a change applies to the next push and the
 * next GC run, in every process sharing the database, without a restart.
 * A stored value this version cannot parse (written by a newer portcullis)
 * throws: the push or the project's collection fails rather than running
 * without the limits the project asked for (fail closed).
 */
import { NO_PROJECT_SETTINGS, oneProjectSettings, StaticProjectSettings, type ProjectSettings, type ProjectSettingsProvider } from './projects.js';

/** Where stored settings come from: the identity store, narrowed to the one read this needs. */
export interface StoredSettingsSource {
  /** The project's stored settings (a JSON object, as the API wrote it); undefined when it has none. */
  getProjectSettings(project: string): Promise<Readonly<Record<string, unknown>> | undefined>;
}

export class StoredProjectSettings implements ProjectSettingsProvider {
  readonly #store: StoredSettingsSource;
  readonly #file: ProjectSettingsProvider;
  readonly #defaults: ProjectSettings;

  /** `file`: the operator's settings (`--project-settings`), or none. */
  constructor(store: StoredSettingsSource, file: ProjectSettingsProvider | undefined) {
    this.#store = store;
    this.#file = file ?? NO_PROJECT_SETTINGS;
    this.#defaults = file instanceof StaticProjectSettings ? file.defaults() : {};
  }

  async settingsFor(project: string): Promise<ProjectSettings> {
    const stored = await this.#store.getProjectSettings(project);
    if (stored === undefined) return this.#file.settingsFor(project);
    return { ...this.#defaults, ...oneProjectSettings(stored, `stored settings of project ${project}`) };
  }
}
