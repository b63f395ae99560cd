import { useCallback, useEffect, useMemo, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { Entity, parseEntityRef } from '@backstage/catalog-model';
import { Progress } from '@backstage/core-components';
import { useApi, useApiHolder, useRouteRef } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Step from '@material-ui/core/Step';
import StepButton from '@material-ui/core/StepButton';
import StepLabel from '@material-ui/core/StepLabel';
import Stepper from '@material-ui/core/Stepper';
import Typography from '@material-ui/core/Typography';
import {
  ApprovalPolicy,
  Entry,
  EntryRequestProblem,
  getSpireMgmtAnnotations,
  getSpireMgmtErrorDetails,
  Site,
} from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { spireMgmtApiRef } from '../../api';
import { entryRequestRouteRef } from '../../routes';
import { ErrorContext, ErrorPanel } from '../shared';
import { EntrySummary } from '../EntrySummary/EntrySummary';
import {
  buildChange,
  dnsNameList,
  EntryForm,
  emptyForm,
  formFromEntry,
  localProblems,
  WizardAction,
} from './entryForm';
import { FORM_FIELDS, FormField, sortProblems } from './fieldProblems';
import { IdentityFields } from './IdentityFields';
import { OptionFields } from './OptionFields';
import { ReviewFields } from './ReviewFields';
import { SelectorFields } from './SelectorFields';
import { SiteFields } from './SiteFields';
import { StepFieldsProps } from './stepFields';
import { suggestForm } from './suggestion';
import { usePreview } from './usePreview';
import { parseWizardQuery, WizardQuery } from './wizardQuery';

const REQUEST_CONTEXT: ErrorContext = {
  roles:
    'Requesting a change needs the Developer (for your namespaces), Operator or Admin role; reading the sites and the approval policy needs any spire-mgmt role.',
  inputHint: 'Check the link you followed.',
};

const TITLES: Record<WizardAction, string> = {
  create: 'Request an identity',
  update: 'Request a change of an entry',
  delete: 'Request deletion of an entry',
};

interface WizardStep {
  label: string;
  fields: FormField[];
}

const EDIT_STEPS: WizardStep[] = [
  { label: 'Identity', fields: ['spiffe_id', 'parent_id'] },
  { label: 'Selectors', fields: ['selectors'] },
  { label: 'Sites', fields: ['site_ids'] },
  { label: 'TTLs and DNS names', fields: ['ttl', 'jwt_svid_ttl', 'dns_names'] },
  { label: 'Justification and review', fields: ['justification'] },
];

const DELETE_STEPS: WizardStep[] = [
  { label: 'Entry', fields: [] },
  { label: 'Justification and review', fields: ['justification'] },
];

/** The component an identity is suggested from, or why it could not be read. */
type ComponentContext =
  | { entity: Entity; namespaces: string[] }
  | { ref: string; error: unknown };

interface WizardData {
  sites: Site[];
  policy: ApprovalPolicy;
  /** The entry to change or delete. */
  base?: Entry;
  component?: ComponentContext;
}

function newRequestId(): string {
  return globalThis.crypto?.randomUUID
    ? globalThis.crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

function initialForm(data: WizardData): EntryForm {
  if (data.base) {
    return formFromEntry(data.base);
  }
  const component = data.component;
  if (component && 'entity' in component) {
    return {
      ...emptyForm(),
      ...suggestForm(
        getSpireMgmtAnnotations(component.entity),
        component.entity.metadata.name,
        data.sites,
      ),
    };
  }
  return emptyForm();
}

function WizardForm(props: {
  query: WizardQuery;
  data: WizardData;
  previewDelayMs: number;
}) {
  const { query, data, previewDelayMs } = props;
  const { action } = query;
  const api = useApi(spireMgmtApiRef);
  const navigate = useNavigate();
  const requestRoute = useRouteRef(entryRequestRouteRef);
  const [form, setForm] = useState<EntryForm>(() => initialForm(data));
  const [touched, setTouched] = useState<ReadonlySet<FormField>>(new Set());
  const [step, setStep] = useState(0);
  const [requestId] = useState(newRequestId);
  const [submitting, setSubmitting] = useState(false);
  const [submitError, setSubmitError] = useState<unknown>();
  const [submitProblems, setSubmitProblems] = useState<EntryRequestProblem[]>(
    [],
  );
  const steps = action === 'delete' ? DELETE_STEPS : EDIT_STEPS;

  const change = useMemo(
    () => buildChange(action, form, data.base),
    [action, form, data.base],
  );
  const draft = useMemo(
    () => (change ? { change, justification: form.justification } : undefined),
    [change, form.justification],
  );
  const preview = usePreview(api, draft, previewDelayMs);

  const siteName = useCallback(
    (id: string) => data.sites.find(s => s.id === id)?.name ?? id,
    [data.sites],
  );
  const local = useMemo(() => localProblems(form), [form]);
  const sorted = useMemo(
    () =>
      sortProblems(
        [...(preview.response?.problems ?? []), ...submitProblems],
        (field, index) => {
          if (field === 'dns_names') {
            return dnsNameList(form.dnsNames)[index];
          }
          if (field === 'site_ids') {
            const id = form.siteIds[index];
            return id ? `site ${siteName(id)}` : undefined;
          }
          return `selector ${index + 1}`;
        },
      ),
    [preview.response, submitProblems, form, siteName],
  );
  const problems = useCallback(
    (key: string): string[] | undefined => {
      const field = (FORM_FIELDS as readonly string[]).find(
        f => key === f || key.startsWith(`${f}[`),
      ) as FormField | undefined;
      if (!field || !touched.has(field)) {
        return undefined;
      }
      const messages = [
        ...(local[key] ? [local[key]] : []),
        ...(sorted.byField[key] ?? []),
      ];
      return messages.length > 0 ? messages : undefined;
    },
    [local, sorted, touched],
  );
  const stepHasProblems = (s: WizardStep) =>
    s.fields.some(f =>
      Object.keys({ ...sorted.byField, ...local }).some(
        key =>
          (key === f || key.startsWith(`${f}[`)) && problems(key) !== undefined,
      ),
    );

  const touch = useCallback((fields: FormField[]) => {
    setTouched(current => new Set([...current, ...fields]));
  }, []);
  const onChange = useCallback(
    (patch: Partial<EntryForm>, field: FormField) => {
      setForm(current => ({ ...current, ...patch }));
      touch([field]);
      setSubmitProblems([]);
    },
    [touch],
  );
  const onBlur = useCallback((field: FormField) => touch([field]), [touch]);
  const goTo = (next: number) => {
    touch(steps[step].fields);
    setStep(next);
  };

  const submit = async () => {
    touch(steps.flatMap(s => s.fields));
    setSubmitError(undefined);
    if (
      !draft ||
      Object.keys(local).length > 0 ||
      (preview.current && preview.response && !preview.response.valid)
    ) {
      return;
    }
    setSubmitting(true);
    try {
      const request = await api.submitEntryRequest({ ...draft, requestId });
      navigate(requestRoute({ requestId: request.id }));
    } catch (error) {
      const details = getSpireMgmtErrorDetails(error);
      if (details?.code === 'INVALID_ARGUMENT' && details.field) {
        setSubmitProblems([
          {
            $typeName: 'spire.mgmt.v1.EntryRequestProblem',
            field: details.field,
            reason: details.reason ?? '',
            message: details.message,
          },
        ]);
      } else {
        setSubmitError(error);
      }
      setSubmitting(false);
    }
  };

  const fieldProps: StepFieldsProps = { form, problems, onChange, onBlur };
  const namespaces =
    data.component && 'namespaces' in data.component
      ? data.component.namespaces
      : [];
  const suggested =
    data.component && 'entity' in data.component && !touched.has('spiffe_id')
      ? data.component.entity.metadata.name
      : undefined;
  const stepContent = (label: string) => {
    switch (label) {
      case 'Entry':
        return data.base ? (
          <EntrySummary
            entry={data.base}
            label="The entry to delete"
            siteName={siteName}
          />
        ) : null;
      case 'Identity':
        return <IdentityFields {...fieldProps} suggested={suggested} />;
      case 'Selectors':
        return <SelectorFields {...fieldProps} namespaces={namespaces} />;
      case 'Sites':
        return (
          <SiteFields
            {...fieldProps}
            sites={data.sites}
            policy={data.policy}
            previewReasons={preview.response?.approvalReasons}
          />
        );
      case 'TTLs and DNS names':
        return <OptionFields {...fieldProps} />;
      default:
        return (
          <ReviewFields
            {...fieldProps}
            preview={preview}
            unchanged={action === 'update' && !change}
            general={sorted.general}
          />
        );
    }
  };
  const last = step === steps.length - 1;

  return (
    <Box>
      {data.component && 'error' in data.component && (
        <Box mb={2}>
          <Typography role="alert" color="error">
            No identity is suggested: the component {data.component.ref} could
            not be read ({String((data.component.error as Error)?.message)}).
          </Typography>
        </Box>
      )}
      {preview.error !== undefined && (
        <Box mb={2}>
          <ErrorPanel error={preview.error} context={REQUEST_CONTEXT} />
        </Box>
      )}
      <Stepper nonLinear activeStep={step} alternativeLabel>
        {steps.map((s, i) => (
          <Step key={s.label} completed={false}>
            <StepButton onClick={() => goTo(i)}>
              <StepLabel error={stepHasProblems(s)}>{s.label}</StepLabel>
            </StepButton>
          </Step>
        ))}
      </Stepper>
      <Box component="section" mb={2}>
        <Typography variant="h6" component="h2">
          {steps[step].label}
        </Typography>
        {stepContent(steps[step].label)}
      </Box>
      {submitError !== undefined && (
        <Box mb={2}>
          <ErrorPanel error={submitError} context={REQUEST_CONTEXT} />
        </Box>
      )}
      <Box display="flex" style={{ gap: 8 }}>
        <Button disabled={step === 0} onClick={() => goTo(step - 1)}>
          Back
        </Button>
        {last ? (
          <Button
            variant="contained"
            color="primary"
            disabled={submitting}
            onClick={submit}
          >
            {submitting ? 'Submitting…' : 'Submit request'}
          </Button>
        ) : (
          <Button
            variant="contained"
            color="primary"
            onClick={() => goTo(step + 1)}
          >
            Next
          </Button>
        )}
      </Box>
    </Box>
  );
}

type LoadState =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'loaded'; query: WizardQuery; data: WizardData };

/**
 * The entry request wizard: a create, change or delete request in steps (identity, selectors, sites with
 * what needs approval and why, TTLs and DNS names, justification), each field checked with
 * PreviewEntryRequest as the user types and the API's problems shown on the field they name. Reads the
 * action from the query (see newEntryRequestRouteRef); submitting goes to the request's page.
 *
 * @public
 */
export function EntryRequestWizard(props: {
  /** The pause in typing after which the draft is checked, in milliseconds. Default 300. */
  previewDelayMs?: number;
}) {
  const api = useApi(spireMgmtApiRef);
  const catalogApi = useApiHolder().get(catalogApiRef);
  const [params] = useSearchParams();
  const search = params.toString();
  const [state, setState] = useState<LoadState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let cancelled = false;
    setState({ status: 'loading' });
    (async () => {
      const query = parseWizardQuery(new URLSearchParams(search));
      const readComponent = async (ref: string): Promise<ComponentContext> => {
        try {
          if (!catalogApi) {
            throw new Error('the app has no catalog');
          }
          const entity = await catalogApi.getEntityByRef(parseEntityRef(ref));
          if (!entity) {
            throw new Error('no such entity in the catalog');
          }
          return {
            entity,
            namespaces: getSpireMgmtAnnotations(entity).kubernetesNamespaces,
          };
        } catch (error) {
          return { ref, error };
        }
      };
      const [sites, policy, base, component] = await Promise.all([
        api.listSites(),
        api.getApprovalPolicy(),
        query.entryId ? api.getEntry(query.entryId) : undefined,
        query.entityRef ? readComponent(query.entityRef) : undefined,
      ]);
      if (!cancelled) {
        setState({
          status: 'loaded',
          query,
          data: { sites, policy, base, component },
        });
      }
    })().catch(error => {
      if (!cancelled) {
        setState({ status: 'error', error });
      }
    });
    return () => {
      cancelled = true;
    };
  }, [api, catalogApi, search, attempt]);

  const title =
    state.status === 'loaded' ? TITLES[state.query.action] : 'Entry request';
  return (
    <Box>
      <Typography variant="h5" component="h1" gutterBottom>
        {title}
      </Typography>
      {state.status === 'loading' && <Progress />}
      {state.status === 'error' && (
        <ErrorPanel
          error={state.error}
          context={REQUEST_CONTEXT}
          action={{ label: 'Try again', onClick: () => setAttempt(a => a + 1) }}
        />
      )}
      {state.status === 'loaded' && (
        <WizardForm
          key={`${search}#${attempt}`}
          query={state.query}
          data={state.data}
          previewDelayMs={props.previewDelayMs ?? 300}
        />
      )}
    </Box>
  );
}
