import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';

/*
 * The desktop packages cannot be built here (electron-builder downloads Electron's runtime, which this network
 * cannot reach), so the configuration is checked the way electron-builder would check it before building: against
 * its own JSON schema, with every file it names present and every script it installs parseable.
 */
const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string): string => readFileSync(`${root}${path}`, 'utf8');
const config = parse(read('electron-builder.yml')) as Record<string, unknown> & {
  linux: { extraFiles: { from: string; to: string }[]; icon: string; executableName: string };
  deb: { afterInstall: string; afterRemove: string };
  directories: { buildResources: string };
};
const validate = new Ajv({ strict: false, allErrors: true }).compile(
  JSON.parse(read('node_modules/app-builder-lib/scheme.json')) as object,
);

/** A PNG's width and height from its IHDR chunk. */
function pngSize(path: string): [number, number] {
  const bytes = readFileSync(`${root}${path}`);
  assert.equal(bytes.subarray(1, 4).toString('ascii'), 'PNG', `${path} is a PNG`);
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe('desktop packaging (electron-builder.yml)', () => {
  it("is valid under electron-builder's own schema, and the schema catches a wrong key", () => {
    assert.equal(validate(config), true, JSON.stringify(validate.errors));
    assert.equal(validate({ ...config, linux: { ...config.linux, exectuableName: 'x' } }), false);
  });

  it('targets AppImage, deb, dmg and NSIS', () => {
    const targets = (key: string): unknown => (config[key] as { target: unknown }).target;
    assert.deepEqual(targets('linux'), ['AppImage', 'deb']);
    assert.deepEqual(targets('mac'), ['dmg']);
    assert.deepEqual(targets('win'), ['nsis']);
  });

  it('has what the deb needs: an author with an e-mail (its maintainer), a description, categories', () => {
    const pkg = JSON.parse(read('package.json')) as { author?: { name?: string; email?: string }; description?: string };
    assert.ok(pkg.author?.name && pkg.author.email?.includes('@'));
    assert.ok((pkg.description ?? '').length > 20);
    assert.equal((config.linux as unknown as { category: string }).category, 'Science');
    assert.ok(String((config.mac as { category: string }).category).startsWith('public.app-category.'));
  });

  it('has icons: a 1024 px icon.png for the .icns/.ico and square Linux icons', () => {
    const dir = config.directories.buildResources;
    assert.deepEqual(pngSize(`${dir}/icon.png`), [1024, 1024]);
    for (const size of [16, 32, 48, 64, 128, 256, 512])
      assert.deepEqual(pngSize(`${dir}/${config.linux.icon}/${size}x${size}.png`), [size, size]);
  });

  it('puts the hearth CLI on the PATH after a deb install, with scripts that parse', () => {
    const wrapper = config.linux.extraFiles.find((f) => f.to === 'bin/hearth');
    assert.ok(wrapper, 'the CLI wrapper ships in the app folder');
    accessSync(`${root}${wrapper.from}`, constants.X_OK);
    assert.equal(spawnSync('sh', ['-n', `${root}${wrapper.from}`]).status, 0);
    assert.match(
      read(wrapper.from),
      /ELECTRON_RUN_AS_NODE=1 exec "\$here\/\.\.\/hearth-desktop" "\$here\/\.\.\/resources\/app\/bin\/hearth\.js"/,
    );
    assert.equal(config.linux.executableName, 'hearth-desktop', 'the desktop binary does not take the CLI’s name');
    // The templates as electron-builder fills them in.
    const fill = (text: string): string =>
      text.replaceAll('${executable}', 'hearth-desktop').replaceAll('${sanitizedProductName}', 'Hearth');
    const install = fill(read(config.deb.afterInstall));
    assert.match(install, /ln -sf '\/opt\/Hearth\/bin\/hearth' '\/usr\/bin\/hearth'/);
    assert.equal(spawnSync('bash', ['-n'], { input: install }).status, 0);
    const remove = fill(read(config.deb.afterRemove));
    assert.match(remove, /rm -f '\/usr\/bin\/hearth-desktop' '\/usr\/bin\/hearth'/);
    assert.equal(spawnSync('bash', ['-n'], { input: remove }).status, 0);
  });

  it('ships the built entry point and the files the engine reads by path, outside any archive', () => {
    assert.equal(config.asar, false);
    const main = (config.extraMetadata as { main: string }).main;
    assert.ok(existsSync(`${root}${main}`), `${main} is built`);
    const files = config.files as string[];
    for (const needed of ['dist/**/*', 'bin/**/*', 'resources/samples/**/*', 'resources/pii/**/*', 'node_modules/**/*'])
      assert.ok(files.includes(needed), needed);
    assert.ok(files.includes('!dist/test/**'), 'tests stay out of the package');
  });
});
