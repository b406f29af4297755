//! `/dashboard/team`: the clinic's admins; add one (one-time password shown once), remove one
//! (with a confirmation step; never the last). The rules are in [`crate::team`].

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::Dashboard;
use super::csrf::Posted;
use super::lookup::{Owned, PostedTo, Viewing, found};
use super::render::{self, Confirm, Nav, Section, when};
use super::session::Admin;
use crate::ids::UserId;
use crate::store::User;
use crate::team::{self, TeamError};

pub fn router() -> Router<Dashboard> {
    Router::new()
        .route("/dashboard/team", get(show).post(add))
        .route(
            "/dashboard/team/{id}/remove",
            get(confirm_remove).post(remove),
        )
}

struct AdminRow {
    id: String,
    email: String,
    role: String,
    added: String,
    is_you: bool,
}

struct Added {
    email: String,
    password: String,
}

#[derive(Template)]
#[template(path = "dashboard/team.html")]
struct TeamPage {
    nav: Nav,
    admins: Vec<AdminRow>,
    added: Option<Added>,
    notice: Option<String>,
    email: String,
    error: Option<String>,
}

/// The page, or the error page if the team cannot be read.
async fn team_page(
    state: &Dashboard,
    admin: &Admin,
    status: StatusCode,
    fill: impl FnOnce(&mut TeamPage),
) -> Response {
    let users = match team::list(state.store(), &admin.caller).await {
        Ok(users) => users,
        Err(err) => return render::internal_error(&err),
    };
    let mut page = TeamPage {
        nav: Nav::new(admin, Section::Team),
        admins: users.iter().map(|user| row(user, admin)).collect(),
        added: None,
        notice: None,
        email: String::new(),
        error: None,
    };
    fill(&mut page);
    render::page(status, &page)
}

fn row(user: &User, admin: &Admin) -> AdminRow {
    AdminRow {
        id: user.id.to_string(),
        email: user.email.clone(),
        role: user.role.to_string(),
        added: when(&user.created_at),
        is_you: user.id == admin.user_id,
    }
}

async fn show(State(state): State<Dashboard>, admin: Admin) -> Response {
    team_page(&state, &admin, StatusCode::OK, |_| {}).await
}

#[derive(Deserialize)]
struct AddForm {
    #[serde(default)]
    email: String,
}

async fn add(State(state): State<Dashboard>, posted: Posted<AddForm>) -> Response {
    let Posted { admin, form } = posted;
    let result = team::add_admin(state.store(), &admin.caller, &form.email).await;
    let error = match result {
        Ok(new) => {
            // Shown this once, in this response; the store keeps only its hash.
            let password = new.one_time_password.expose_secret().to_owned();
            let added = Added {
                email: new.user.email,
                password,
            };
            return team_page(&state, &admin, StatusCode::OK, |page| {
                page.added = Some(added);
            })
            .await;
        }
        Err(TeamError::InvalidEmail(_)) => {
            "Enter an e-mail address like name@clinic.example.".to_owned()
        }
        Err(TeamError::EmailTaken) => {
            "Someone already signs in with this e-mail. Use another address.".to_owned()
        }
        Err(err) => return render::internal_error(&err),
    };
    team_page(&state, &admin, StatusCode::UNPROCESSABLE_ENTITY, |page| {
        page.email = form.email;
        page.error = Some(error);
    })
    .await
}

fn confirm_page(admin: &Admin, user: &User, error: Option<String>) -> Confirm<'static> {
    Confirm {
        nav: Nav::new(admin, Section::Team),
        title: "Remove admin",
        question: format!(
            "Remove {}? They will be signed out and can no longer sign in.",
            user.email
        ),
        action: format!("/dashboard/team/{}/remove", user.id),
        yes: "Yes, remove",
        back: "/dashboard/team",
        error,
    }
}

impl Owned for User {
    async fn find(state: &Dashboard, admin: &Admin, id: &str) -> Result<Self, Response> {
        let id = UserId::parse(id).map_err(|_| render::not_found(admin))?;
        let user = team::get(state.store(), &admin.caller, &id);
        found(admin, user, |err| matches!(err, TeamError::NotFound)).await
    }
}

async fn confirm_remove(viewing: Viewing<User>) -> Response {
    let Viewing {
        admin,
        object: user,
    } = viewing;
    render::page(StatusCode::OK, &confirm_page(&admin, &user, None))
}

async fn remove(State(state): State<Dashboard>, posted: PostedTo<User>) -> Response {
    let PostedTo {
        admin,
        object: user,
        ..
    } = posted;
    match team::remove_admin(state.store(), &admin.caller, &user.id).await {
        Ok(removed) if removed.id == admin.user_id => {
            // They removed themselves: their session went with them.
            Redirect::to("/dashboard/sign-in").into_response()
        }
        Ok(removed) => {
            let notice = format!("{} was removed and can no longer sign in.", removed.email);
            team_page(&state, &admin, StatusCode::OK, |page| {
                page.notice = Some(notice)
            })
            .await
        }
        Err(TeamError::LastAdmin) => {
            let error = "This is the clinic's last admin: add another admin first, so that someone can still sign in.".to_owned();
            render::page(
                StatusCode::CONFLICT,
                &confirm_page(&admin, &user, Some(error)),
            )
        }
        Err(TeamError::NotFound) => render::not_found(&admin),
        Err(err) => render::internal_error(&err),
    }
}
