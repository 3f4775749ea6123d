import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findOrInstallPrometheusTools } from '../../src/devstack/prometheus-tools.js';
import { devStackRejection, writeScript } from './fake-executables.js';

let scratch: string;
let bin: string;

beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'actiongate-promtools-'));
  bin = join(scratch, 'bin');
});

afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const fakeTool = (name: string) => `echo "${name}, version 2.42.0+fake (branch: test)" >&2`;

describe('when promtool and prometheus are on PATH', () => {
  it('uses them and installs nothing', async () => {
    await writeScript(join(bin, 'promtool'), fakeTool('promtool'));
    await writeScript(join(bin, 'prometheus'), fakeTool('prometheus'));
    const tools = await findOrInstallPrometheusTools({ toolsDir: join(scratch, 'tools'), env: { PATH: bin }, install: false });
    expect(tools).toEqual({ promtool: join(bin, 'promtool'), prometheus: join(bin, 'prometheus'), version: 'promtool, version 2.42.0+fake (branch: test)' });
  });

  it('does not take a promtool that is something else', async () => {
    await writeScript(join(bin, 'promtool'), 'echo "not it"');
    await writeScript(join(bin, 'prometheus'), fakeTool('prometheus'));
    await devStackRejection(findOrInstallPrometheusTools({ toolsDir: join(scratch, 'tools'), env: { PATH: bin }, install: false }), 'PROMETHEUS_TOOLS_MISSING');
  });
});

describe('when they have to be installed', () => {
  it('downloads the Debian package with apt-get and unpacks it with dpkg -x into toolsDir/prometheus', async () => {
    // apt-get download writes the .deb into its working directory; dpkg -x unpacks it.
    await writeScript(join(bin, 'apt-get'), '[ "$1 $2" = "download prometheus" ] || exit 100\necho deb > prometheus_2.42.0_amd64.deb');
    await writeScript(
      join(bin, 'dpkg'),
      [
        'export PATH=/usr/bin:/bin',
        '[ "$1" = "-x" ] || exit 2',
        'mkdir -p "$3/usr/bin"',
        `printf '#!/bin/sh\\necho "promtool, version 2.42.0+deb" >&2\\n' > "$3/usr/bin/promtool"`,
        `printf '#!/bin/sh\\necho "prometheus, version 2.42.0+deb" >&2\\n' > "$3/usr/bin/prometheus"`,
        'chmod +x "$3/usr/bin/promtool" "$3/usr/bin/prometheus"',
      ].join('\n'),
    );
    const toolsDir = join(scratch, 'tools');
    // PATH is only the fakes: a real promtool in /usr/bin must not be picked up instead.
    const tools = await findOrInstallPrometheusTools({ toolsDir, env: { PATH: bin } });
    expect(tools.promtool).toBe(join(toolsDir, 'prometheus', 'usr', 'bin', 'promtool'));
    expect(tools.version).toBe('promtool, version 2.42.0+deb');
  });

  it('says apt has no package lists when that is why the download failed', async () => {
    await writeScript(join(bin, 'apt-get'), 'echo "E: Unable to locate package prometheus" >&2\nexit 100');
    const lists = join(scratch, 'lists');
    await mkdir(lists);
    const err = await devStackRejection(
      findOrInstallPrometheusTools({ toolsDir: join(scratch, 'tools'), env: { PATH: bin }, aptListsDir: lists }),
      'PROMETHEUS_TOOLS_MISSING',
    );
    expect(err.message).toContain(`apt has no package lists (no *_Packages files in ${lists}): run \`apt-get update\``);
  });
});
