/** The flags every command takes, and what the exit status means (the footer of every help text). */
export const commonOptions = `Options for every command:
  --data-dir DIR   data folder (default: $HEARTH_DATA_DIR, else the platform's application-data folder)
  --json           print one JSON document on stdout
  --verbose        let native libraries' messages (GPU drivers, Dawn) reach stderr
  --help, -h       this command's usage; \`hearth help COMMAND\` is the same
  --version        the version (\`hearth version\` lists the components)
Exit status: 0 success, 1 failure, 2 usage error.`;
