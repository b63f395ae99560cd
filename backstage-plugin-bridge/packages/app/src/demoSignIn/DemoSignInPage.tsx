import {
  Content,
  Header,
  InfoCard,
  Page,
  ProxiedSignInPage,
} from '@backstage/core-components';
import { IdentityApi } from '@backstage/core-plugin-api';
import type { SignInPageProps } from '@backstage/plugin-app-react';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { useState } from 'react';
import {
  DEMO_PROVIDER_ID,
  DEMO_USER_HEADER,
  DEMO_USERS,
  DemoUser,
} from './demoUsers';

/** Where the chosen user is kept for this tab, so a reload or a typed URL signs in again without asking. */
const CHOSEN_USER_KEY = 'spire-mgmt-demo-user';

/** Forgets the chosen user when the user signs out, so the next visit asks again. */
function forgettingOnSignOut(identity: IdentityApi): IdentityApi {
  return {
    getProfileInfo: () => identity.getProfileInfo(),
    getBackstageIdentity: () => identity.getBackstageIdentity(),
    getCredentials: () => identity.getCredentials(),
    signOut: async () => {
      sessionStorage.removeItem(CHOSEN_USER_KEY);
      await identity.signOut();
    },
  };
}

function UserChoice(props: { onChoose(user: DemoUser): void }) {
  return (
    <Grid container spacing={2}>
      {DEMO_USERS.map(user => (
        <Grid item xs={12} sm={6} md={3} key={user.name}>
          <InfoCard
            title={user.displayName}
            subheader={`user:default/${user.name}`}
          >
            <Typography variant="body2" paragraph>
              {user.role}
            </Typography>
            <Button
              variant="contained"
              color="primary"
              onClick={() => props.onChoose(user)}
            >
              Sign in as {user.displayName}
            </Button>
          </InfoCard>
        </Grid>
      ))}
    </Grid>
  );
}

/**
 * The demo's sign-in page: pick one of the demo catalog's users, then sign in as that user through the backend's
 * development-only `demo` provider (no password).
 */
export function DemoSignInPage(props: SignInPageProps) {
  const [chosen, setChosen] = useState<string | null>(() =>
    sessionStorage.getItem(CHOSEN_USER_KEY),
  );
  if (chosen) {
    return (
      <ProxiedSignInPage
        provider={DEMO_PROVIDER_ID}
        headers={{ [DEMO_USER_HEADER]: chosen }}
        onSignInSuccess={identity =>
          props.onSignInSuccess(forgettingOnSignOut(identity))
        }
        ErrorComponent={({ error }) => (
          <Page themeId="home">
            <Header title="spire-mgmt demo" />
            <Content>
              <Typography role="alert" paragraph>
                Could not sign in as {chosen}:{' '}
                {error?.message ?? 'unknown error'}
              </Typography>
              <Button
                variant="outlined"
                onClick={() => {
                  sessionStorage.removeItem(CHOSEN_USER_KEY);
                  setChosen(null);
                }}
              >
                Choose another user
              </Button>
            </Content>
          </Page>
        )}
      />
    );
  }
  return (
    <Page themeId="home">
      <Header
        title="spire-mgmt demo"
        subtitle="Sign in as one of the demo users (development only, no password)"
      />
      <Content>
        <UserChoice
          onChoose={user => {
            sessionStorage.setItem(CHOSEN_USER_KEY, user.name);
            setChosen(user.name);
          }}
        />
      </Content>
    </Page>
  );
}
