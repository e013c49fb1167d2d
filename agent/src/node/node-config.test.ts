import { describe, expect, it } from 'vitest';
import { NodeConfigError, readNodeConfig } from './node-config.js';
import { backoffDelay } from './backoff.js';

describe('node configuration', () => {
  it('names every missing or malformed setting at once', () => {
    expect(() => readNodeConfig({})).toThrow(NodeConfigError);
    try {
      readNodeConfig({ Node__Id: 'not-a-guid', Node__HealthPort: 'x' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('Node__ControlPlaneUrl is not set');
      expect(message).toContain('Node__Token is not set');
      expect(message).toContain('Node__Id must be a GUID');
      expect(message).toContain('Node__HealthPort must be a port number');
    }
  });

  it('generates an id when none is set and keeps a configured one', () => {
    const generated = readNodeConfig({ Node__ControlPlaneUrl: 'http://cp:5000/', Node__Token: 't' });
    expect(generated.nodeIdGenerated).toBe(true);
    expect(generated.nodeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(generated.controlPlaneUrl).toBe('http://cp:5000');
    expect(generated.name.length).toBeGreaterThan(0);
    const fixed = readNodeConfig({ Node__ControlPlaneUrl: 'https://cp', Node__Token: 't', Node__Id: '0b6c1f7e-9d1a-4c55-8f5e-2a7b3c4d5e6f', Node__Name: 'edge-1' });
    expect(fixed).toMatchObject({ nodeId: '0b6c1f7e-9d1a-4c55-8f5e-2a7b3c4d5e6f', nodeIdGenerated: false, name: 'edge-1' });
  });

  it('binds the health listener to Node__HealthHost, which must be an address', () => {
    const required = { Node__ControlPlaneUrl: 'http://cp:5000', Node__Token: 't' };
    expect(readNodeConfig(required).healthHost).toBe('0.0.0.0');
    expect(readNodeConfig({ ...required, Node__HealthHost: '127.0.0.1' }).healthHost).toBe('127.0.0.1');
    expect(readNodeConfig({ ...required, Node__HealthHost: '::1' }).healthHost).toBe('::1');
    expect(() => readNodeConfig({ ...required, Node__HealthHost: 'every interface' })).toThrow(/Node__HealthHost must be an IP address/);
  });

  it('backs off exponentially with jitter, capped', () => {
    const low = { initialMs: 1000, maxMs: 30_000, random: () => 0 };
    const high = { ...low, random: () => 0.999 };
    expect(backoffDelay(0, low)).toBe(500);
    expect(backoffDelay(3, low)).toBe(4000);
    expect(backoffDelay(3, high)).toBeLessThanOrEqual(8000);
    expect(backoffDelay(50, high)).toBeLessThanOrEqual(30_000);
    expect(backoffDelay(50, low)).toBe(15_000);
  });
});
