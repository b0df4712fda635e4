import { resolveCloudCredentials } from '../../shared/adapters/cloud-credentials';

const sts = { accessKeyId: 'STS.abc', accessKeySecret: 'sts-secret', securityToken: 'sts-token' };

describe('resolveCloudCredentials', () => {
  test.each([
    [
      'FC context STS credentials win over the environment',
      { context: { credentials: sts }, env: { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI-env', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'env-secret' } },
      sts,
    ],
    [
      'the environment, without a token',
      { context: { credentials: null }, env: { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI-env', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'env-secret' } },
      { accessKeyId: 'LTAI-env', accessKeySecret: 'env-secret' },
    ],
    [
      'the environment, with an STS token',
      {
        env: {
          ALIBABA_CLOUD_ACCESS_KEY_ID: 'STS.env',
          ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'env-secret',
          ALIBABA_CLOUD_SECURITY_TOKEN: 'env-token',
        },
      },
      { accessKeyId: 'STS.env', accessKeySecret: 'env-secret', securityToken: 'env-token' },
    ],
  ])('%s', (_label, source, expected) => {
    expect(resolveCloudCredentials(source)).toStrictEqual(expected);
  });

  test.each([
    [
      'nothing anywhere',
      { env: {} },
      'no Alibaba Cloud credentials: the FC context has no credentials and ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET are not set',
    ],
    [
      'a secret without its key id',
      { env: { ALIBABA_CLOUD_ACCESS_KEY_SECRET: 's' } },
      'incomplete Alibaba Cloud credentials in the environment: ALIBABA_CLOUD_ACCESS_KEY_ID not set',
    ],
    [
      'a token alone',
      { env: { ALIBABA_CLOUD_SECURITY_TOKEN: 't' } },
      'incomplete Alibaba Cloud credentials in the environment: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET not set',
    ],
    [
      'FC credentials without a token',
      { context: { credentials: { accessKeyId: 'STS.a', accessKeySecret: 's' } }, env: {} },
      "FC context.credentials is incomplete: missing securityToken (the function's role must be set)",
    ],
  ])('%s is CONFIG.CREDENTIALS naming what is missing', (_label, source, message) => {
    expect(() => resolveCloudCredentials(source)).toThrow(
      expect.objectContaining({ name: 'RegionshiftError', code: 'CONFIG.CREDENTIALS', message }),
    );
  });
});
