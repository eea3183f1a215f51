import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Duration, Stack, TimeZone, Validations } from 'aws-cdk-lib';
import { ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { createRekeyApp } from '../../lib/app';
import { readContext, rotationProps } from '../../lib/app-context';
import * as nag from '../../lib/nag';
import { UserSelection } from '../../lib/key-rotation-props';
import { RekeyStack } from '../../lib/rekey-stack';
import { cdkJsonContext, NO_VALIDATION, stateMachineOf } from './support';

/** The report CDK's policy validation writes into the cloud assembly (CDK >= 2.26x name). */
const REPORT_FILE = 'validation-report.json';

interface ValidationReport {
  readonly pluginReports: {
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: {
      readonly ruleName: string;
      readonly severity: string;
      readonly violatingConstructs: { readonly constructPath: string }[];
    }[];
  }[];
}

const readReport = (dir: string): ValidationReport =>
  JSON.parse(fs.readFileSync(path.join(dir, REPORT_FILE), 'utf8')) as ValidationReport;

/** Each reported violation as `<rule> at <construct path>`. */
const findingsIn = (report: ValidationReport): string[] =>
  report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) =>
      v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`),
    ),
  );

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: unknown;
}

/** Every acknowledgement recorded on the construct tree (`aws:cdk:acknowledged-rules` metadata). */
function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, unknown>).map(([id, reason]) => ({
          path: c.node.path,
          id,
          reason,
        })),
      ),
  );
}

/** Reasons that acknowledge without explaining. */
const PLACEHOLDER =
  /\b(todo|tbd|fixme|xxx|placeholder|lorem|n\/a|suppress(ed)?|ignored?|false positive|not (needed|required|applicable)|known issue)\b/i;

describe('cdk-nag AwsSolutions on the deployable app', () => {
  let app: App;
  let assemblyDir: string;
  beforeAll(() => {
    ({ app } = createRekeyApp({ context: cdkJsonContext(), ...NO_VALIDATION }));
    assemblyDir = app.synth().directory;
  });

  it('synthesizes with no unacknowledged finding in the validation report', () => {
    expect(findingsIn(readReport(assemblyDir))).toEqual([]);
  });

  it('finds nothing when the AwsSolutions pack checks the construct tree directly', () => {
    const result = new AwsSolutionsChecks().validateScope(app);

    expect(result.violations).toEqual([]);
    expect(result.success).toBe(true);
  });

  it('gives every acknowledgement a specific reason', () => {
    const acks = acknowledgements(app);
    const vague = acks.filter(
      ({ reason }) =>
        typeof reason !== 'string' || reason.trim().length < 40 || PLACEHOLDER.test(reason),
    );

    expect(acks.length).toBeGreaterThan(0);
    expect(vague).toEqual([]);
  });

  it('acknowledges one AwsSolutions finding at a time, on the construct that has it', () => {
    const acks = acknowledgements(app);
    const stackPaths = app.node.children.filter(Stack.isStack).map((s) => s.node.path);

    for (const { path: at, id } of acks) {
      expect(id).toMatch(/^(Annotation::)?AwsSolutions-[A-Z]+\d+/);
      // Wildcard-permission findings are acknowledged per resource, never the whole rule.
      if (/AwsSolutions-IAM[45]/.test(id)) expect(id).toMatch(/\[(Resource|Action)::.+\]$/);
      expect([app.node.path, ...stackPaths]).not.toContain(at);
    }
  });
});

describe('the cdk-nag gate', () => {
  let outdir: string;
  beforeAll(() => {
    outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'rekey-nag-'));
  });
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  it('fails synthesis and reports the finding when a resource breaks a rule', () => {
    const { app, stack } = createRekeyApp({ outdir, context: cdkJsonContext(), ...NO_VALIDATION });
    new sns.Topic(stack, 'Unencrypted');

    expect(() => app.synth()).toThrow(/AwsSolutions-SNS3/);
    expect(findingsIn(readReport(outdir))).toEqual([
      'AwsSolutions-SNS3 at Rekey/Unencrypted/Resource',
    ]);
  });
});

describe('rekey acknowledgements', () => {
  afterEach(() => jest.restoreAllMocks());

  it('each acknowledge a finding the AwsSolutions pack really raises, and cover all of them', () => {
    const made: { path: string; id: string }[] = [];
    jest.spyOn(nag, 'acknowledge').mockImplementation((construct, finding) => {
      made.push({ path: construct.node.path, id: `AwsSolutions-${finding}` });
    });
    const app = new App({ context: cdkJsonContext(), ...NO_VALIDATION });
    new RekeyStack(app, 'Rekey', { rotation: rotationProps(readContext(app)) });
    app.synth();

    const findings = new AwsSolutionsChecks()
      .validateScope(app)
      .violations.flatMap((v) =>
        v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })),
      );
    const covers = (ack: { path: string; id: string }, f: { path: string; id: string }): boolean =>
      ack.id === f.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`));

    expect(made.length).toBeGreaterThan(0);
    expect(made.filter((ack) => !findings.some((f) => covers(ack, f)))).toEqual([]);
    expect(findings.filter((f) => !made.some((ack) => covers(ack, f)))).toEqual([]);
  });
});

describe('cdk-nag on the fleet scan', () => {
  it('finds nothing with every fleet setting changed from its default', () => {
    const app = new App({ context: cdkJsonContext(), ...NO_VALIDATION });
    new RekeyStack(app, 'Rekey', {
      rotation: {
        managedPath: '/apps/',
        userSelection: UserSelection.OPT_IN,
        scanSchedule: ScheduleExpression.cron({
          hour: '6',
          minute: '15',
          timeZone: TimeZone.ASIA_TOKYO,
        }),
        scanEnabled: false,
        auditOnly: true,
        maxConcurrentRotations: 5,
        exemptionWarning: Duration.days(30),
      },
    });
    app.synth();

    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  it('acknowledges "*" on the fleet roles for the credential report and X-Ray only', () => {
    const { app } = createRekeyApp({ context: cdkJsonContext(), ...NO_VALIDATION });
    const star = acknowledgements(app).filter(
      (a) =>
        /fleet-(report|scan)\/Role/.test(a.path) &&
        a.id.replace(/^Annotation::/, '') === 'AwsSolutions-IAM5[Resource::*]',
    );

    expect(star.map((a) => a.path).sort()).toEqual([
      'Rekey/Rotation/fleet-report/Role',
      'Rekey/Rotation/fleet-scan/Role',
    ]);
    for (const { reason } of star) {
      expect(reason).toEqual(expect.stringContaining('credential report'));
      expect(reason).toEqual(expect.stringContaining('X-Ray'));
    }
  });

  it("acknowledges the fleet scan's execution wildcard on the rotation state machine only", () => {
    const { app, stack } = createRekeyApp({ context: cdkJsonContext(), ...NO_VALIDATION });
    const name = stateMachineOf(Template.fromStack(stack), 'rotation').properties.StateMachineName;
    const executions = acknowledgements(app).filter(
      (a) => a.path.startsWith('Rekey/Rotation/fleet-scan/') && a.id.includes(':execution:'),
    );

    expect(executions.map((a) => a.id.replace(/^Annotation::/, ''))).toEqual([
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${String(name)}:*]`,
    ]);
  });
});
