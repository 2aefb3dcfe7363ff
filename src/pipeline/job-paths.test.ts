import { describe, expect, it } from 'vitest';
import { relativePathsIn } from './job-paths.js';

describe('relativePathsIn', () => {
  it('writes paths below the root relative to it, and the root itself as "."', () => {
    expect(relativePathsIn('no input files match /srv/jobs/in/a.jsonl', '/srv/jobs')).toBe('no input files match in/a.jsonl');
    expect(relativePathsIn('input "/srv/jobs" is empty', '/srv/jobs')).toBe('input "." is empty');
    expect(relativePathsIn('nothing to read in /srv/jobs.', '/srv/jobs')).toBe('nothing to read in ..');
    expect(relativePathsIn('nothing to read in /srv/jobs', '/srv/jobs')).toBe('nothing to read in .');
  });

  it('leaves alone longer names that only begin with the root', () => {
    expect(relativePathsIn('see /srv/jobs.old/x and /srv/jobsX', '/srv/jobs')).toBe('see /srv/jobs.old/x and /srv/jobsX');
  });

  it('takes the longer of two roots first', () => {
    expect(relativePathsIn('/real/jobs/a and /jobs/b', '/jobs', '/real/jobs')).toBe('a and b');
  });
});
